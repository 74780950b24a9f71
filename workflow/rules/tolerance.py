"""容错纠错: which decisions the "三个区分开来" criteria allow.

Shanxi plan (seed 004) 五(三): 包容审慎监管, 容错纠错, following the "三个区分开来": distinguish
(1) mistakes made in reform for lack of experience or in trying things first (先行先试) from
knowing violations (明知故犯); (2) mistakes in exploratory trials not yet explicitly restricted
from persisting after an explicit prohibition (明令禁止后依然我行我素); (3) unintentional errors
made to advance development from violations for private gain (谋取私利).
《科学技术进步法》(2021) 第六十八条: those who were diligent and responsible (勤勉尽责) are
exempted from liability (予以免责).

The office records four findings:
- exploratory: the shortfall came from exploratory reform, not a knowing violation (1);
- procedures_followed: decisions followed the required procedures, no explicit prohibition was
  ignored (2), i.e. 勤勉尽责;
- no_personal_gain: nobody sought private gain (3);
- proactive_correction: the unit corrected on its own initiative.

免责 (exempt) needs all four. 减责 (reduced) needs no private gain and at least one of
exploratory / procedures followed. 不予容错 (refused) is always possible. Private gain found
leaves only 不予容错.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

EXEMPT = "exempt"
REDUCED = "reduced"
REFUSED = "refused"
DECISIONS = (EXEMPT, REDUCED, REFUSED)

CRITERION_LABELS = {
    "exploratory": _lazy(
        "The shortfall came from exploratory reform or trying things first, not from a knowing "
        "violation"
    ),
    "procedures_followed": _lazy(
        "Decisions followed the required procedures; no explicit prohibition was ignored"
    ),
    "no_personal_gain": _lazy("Nobody sought private gain"),
    "proactive_correction": _lazy("The unit corrected the shortfall on its own initiative"),
}


@dataclass(frozen=True)
class Criteria:
    exploratory: bool
    procedures_followed: bool
    no_personal_gain: bool
    proactive_correction: bool

    def unmet(self) -> list[str]:
        return [name for name in CRITERION_LABELS if not getattr(self, name)]


def decision_refusal(decision: str, criteria: Criteria) -> str | None:
    """Why the criteria do not allow `decision`, citing the policy; None when they do."""
    if decision not in DECISIONS:
        return _("Choose a decision: exempt, reduce liability or refuse tolerance.")
    if decision == REFUSED:
        return None
    if not criteria.no_personal_gain:
        return _(
            "Private gain was found: the “three distinctions” separate unintentional errors made "
            "to advance development from violations for private gain, and only the former may "
            "be tolerated. The only possible decision is to refuse tolerance."
        )
    if decision == EXEMPT:
        unmet = criteria.unmet()
        if unmet:
            return _(
                "Exemption from liability is for units that were diligent and responsible and "
                "meet every criterion of the “three distinctions”; not met: %(criteria)s."
            ) % {"criteria": "; ".join(str(CRITERION_LABELS[n]) for n in unmet)}
        return None
    if not (criteria.exploratory or criteria.procedures_followed):
        return _(
            "Liability may be reduced only for mistakes made in exploratory reform or while "
            "following the required procedures; a knowing violation, or persisting after an "
            "explicit prohibition, is not tolerated."
        )
    return None


def allowed_decisions(criteria: Criteria) -> list[str]:
    return [d for d in DECISIONS if decision_refusal(d, criteria) is None]
