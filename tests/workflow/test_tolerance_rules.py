"""容错纠错 rules: which decisions the "三个区分开来" findings allow, and why not."""

import itertools

import pytest
from django.utils import translation

from workflow.rules import tolerance as rules

ALL = rules.Criteria(True, True, True, True)


def criteria(**changes) -> rules.Criteria:
    values = {
        "exploratory": True,
        "procedures_followed": True,
        "no_personal_gain": True,
        "proactive_correction": True,
    }
    values.update(changes)
    return rules.Criteria(**values)


def test_all_four_criteria_allow_every_decision():
    assert rules.allowed_decisions(ALL) == [rules.EXEMPT, rules.REDUCED, rules.REFUSED]


@pytest.mark.parametrize(
    "missing", ["exploratory", "procedures_followed", "no_personal_gain", "proactive_correction"]
)
def test_exemption_needs_every_criterion(missing):
    with translation.override("en"):
        reason = rules.decision_refusal(rules.EXEMPT, criteria(**{missing: False}))
    assert reason
    if missing != "no_personal_gain":
        assert str(rules.CRITERION_LABELS[missing]) in reason


def test_personal_gain_leaves_only_refusal():
    found = criteria(no_personal_gain=False)
    assert rules.allowed_decisions(found) == [rules.REFUSED]
    with translation.override("en"):
        assert "private gain" in rules.decision_refusal(rules.REDUCED, found)


def test_reduction_needs_exploratory_or_procedures():
    assert rules.decision_refusal(rules.REDUCED, criteria(exploratory=False)) is None
    assert rules.decision_refusal(rules.REDUCED, criteria(procedures_followed=False)) is None
    assert (
        rules.decision_refusal(
            rules.REDUCED, criteria(proactive_correction=False, exploratory=False)
        )
        is None
    )
    with translation.override("en"):
        reason = rules.decision_refusal(
            rules.REDUCED, criteria(exploratory=False, procedures_followed=False)
        )
    assert "knowing violation" in reason


def test_refusal_is_always_possible():
    for values in itertools.product([True, False], repeat=4):
        assert rules.REFUSED in rules.allowed_decisions(rules.Criteria(*values))


def test_unknown_decision():
    assert rules.decision_refusal("pardon", ALL)


def test_allowed_decisions_table():
    table = {
        values: rules.allowed_decisions(rules.Criteria(*values))
        for values in itertools.product([True, False], repeat=4)
    }
    assert sum(rules.EXEMPT in d for d in table.values()) == 1
    # no gain and (exploratory or procedures): 3 of 4 combinations × 2 (proactive)
    assert sum(rules.REDUCED in d for d in table.values()) == 6
