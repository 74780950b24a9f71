"""Properties of 会签 / 或签 (workflow/rules/countersign.py round_outcome), with hypothesis.

What the module docstring promises, checked for every mix of opinions:
- 会签 (ALL): every department must agree; the first disagreement returns the round.
- 或签 (ANY): the first agreement closes the round as agreed; it is returned only once every
  department has disagreed.
- The outcome depends on the set of opinions, not on the order they are listed in, and once a
  round is closed no further opinion changes how it closed.
No database.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.workflow.strategies  # noqa: F401  (loads the hypothesis profile)
from workflow.choices import CountersignMode
from workflow.rules.countersign import (
    AGREED,
    DISAGREED,
    PENDING,
    ROUND_TRANSITIONS,
    RoundOutcome,
    round_outcome,
)

STATES = [PENDING, AGREED, DISAGREED]
opinions = st.lists(st.sampled_from(STATES), min_size=0, max_size=12)
modes = st.sampled_from([CountersignMode.ALL, CountersignMode.ANY])


@given(states=opinions)
def test_joint_countersign_needs_every_agreement(states):
    """会签: agreed iff all agree; returned iff anyone disagrees; otherwise still open."""
    outcome = round_outcome(CountersignMode.ALL, states)
    if not states:
        assert outcome == RoundOutcome.OPEN
    elif DISAGREED in states:
        assert outcome == RoundOutcome.RETURNED
    elif all(x == AGREED for x in states):
        assert outcome == RoundOutcome.AGREED
    else:
        assert outcome == RoundOutcome.OPEN


@given(states=opinions)
def test_alternative_countersign_needs_one_agreement(states):
    """或签: agreed iff anyone agrees; returned iff everyone disagreed; otherwise open."""
    outcome = round_outcome(CountersignMode.ANY, states)
    if not states:
        assert outcome == RoundOutcome.OPEN
    elif AGREED in states:
        assert outcome == RoundOutcome.AGREED
    elif all(x == DISAGREED for x in states):
        assert outcome == RoundOutcome.RETURNED
    else:
        assert outcome == RoundOutcome.OPEN


@given(mode=modes, states=opinions, rnd=st.randoms(use_true_random=False))
def test_the_outcome_does_not_depend_on_the_order_of_the_departments(mode, states, rnd):
    shuffled = list(states)
    rnd.shuffle(shuffled)
    assert round_outcome(mode, shuffled) == round_outcome(mode, states)


@given(mode=modes, states=opinions, data=st.data())
def test_a_closed_round_stays_closed_the_same_way(mode, states, data):
    """Opinions arrive one at a time: a pending countersign turns into agreed or disagreed.
    Once the round is agreed or returned, later opinions never change that outcome; while it
    is open, one more opinion either keeps it open or closes it."""
    outcome = round_outcome(mode, states)
    current = list(states)
    while PENDING in current:
        index = data.draw(st.sampled_from([i for i, x in enumerate(current) if x == PENDING]))
        current[index] = data.draw(st.sampled_from([AGREED, DISAGREED]))
        following = round_outcome(mode, current)
        if outcome != RoundOutcome.OPEN:
            assert following == outcome
        outcome = following
    if current:
        assert outcome != RoundOutcome.OPEN  # every department has spoken: the round is decided
    assert outcome in RoundOutcome


@given(state=st.sampled_from(STATES))
def test_with_one_department_both_modes_agree(state):
    assert round_outcome(CountersignMode.ALL, [state]) == round_outcome(
        CountersignMode.ANY, [state]
    )


@given(mode=modes, n=st.integers(1, 12))
def test_unanimous_opinions_decide_both_modes_alike(mode, n):
    assert round_outcome(mode, [AGREED] * n) == RoundOutcome.AGREED
    assert round_outcome(mode, [DISAGREED] * n) == RoundOutcome.RETURNED
    assert round_outcome(mode, [PENDING] * n) == RoundOutcome.OPEN


@given(states=opinions)
def test_or_sign_agrees_whenever_joint_sign_does(states):
    """或签 is never stricter than 会签."""
    if round_outcome(CountersignMode.ALL, states) == RoundOutcome.AGREED:
        assert round_outcome(CountersignMode.ANY, states) == RoundOutcome.AGREED
    if round_outcome(CountersignMode.ANY, states) == RoundOutcome.RETURNED:
        assert round_outcome(CountersignMode.ALL, states) == RoundOutcome.RETURNED


@given(mode=st.text(max_size=5).filter(lambda m: m not in CountersignMode.values))
def test_an_unknown_mode_is_refused(mode):
    with pytest.raises(ValueError):
        round_outcome(mode, [AGREED])


def test_every_closing_outcome_has_a_transition():
    assert set(ROUND_TRANSITIONS) == {RoundOutcome.AGREED, RoundOutcome.RETURNED}
