"""What the departments' opinions mean for a countersign round: 会签 or 或签.

- 会签 (ALL): every member department must agree. The first disagreement returns the round to
  the office; the last agreement closes it as agreed.
- 或签 (ANY): one department's agreement suffices. The first agreement closes the round as
  agreed (the other departments' countersigns stay pending, the round takes no more opinions);
  a disagreement is recorded and returns the round only once every department has disagreed.

Plain values in, plain values out: the states are the stored codes of Countersign.state
("pending", "agreed", "disagreed") and the outcome is the round state the opinions lead to.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from workflow.choices import CountersignMode

PENDING = "pending"
AGREED = "agreed"
DISAGREED = "disagreed"


class RoundOutcome(StrEnum):
    """The codes of CountersignRoundState."""

    OPEN = "open"
    AGREED = "agreed"
    RETURNED = "returned"


def round_outcome(mode: str, states: Iterable[str]) -> RoundOutcome:
    """The state a round reaches with these countersign states under `mode`."""
    states = list(states)
    if mode not in CountersignMode.values:
        raise ValueError(f"unknown countersign mode {mode!r}")
    if not states:
        return RoundOutcome.OPEN
    if mode == CountersignMode.ANY:
        if AGREED in states:
            return RoundOutcome.AGREED
        if all(s == DISAGREED for s in states):
            return RoundOutcome.RETURNED
        return RoundOutcome.OPEN
    if DISAGREED in states:
        return RoundOutcome.RETURNED
    if all(s == AGREED for s in states):
        return RoundOutcome.AGREED
    return RoundOutcome.OPEN


# The round's transition that leads to each closing outcome.
ROUND_TRANSITIONS = {
    RoundOutcome.AGREED: "agree",
    RoundOutcome.RETURNED: "return_to_office",
}
