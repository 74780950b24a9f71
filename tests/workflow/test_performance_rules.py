"""绩效评价 rules as plain functions: indicator values and when a plaque may be revoked."""

import pytest
from django.utils import translation

from workflow.rules import performance as rules

VALID = {
    "trainees": 1200,
    "enterprises": "15",
    "training_hours": 36000,
    "certificates": 0,
    "projects": " 6 ",
}


def test_every_indicator_has_a_code_and_label():
    assert len(rules.INDICATOR_CODES) == len(set(rules.INDICATOR_CODES)) >= 5
    with translation.override("en"):
        assert all(str(i.label) and str(i.unit) for i in rules.INDICATORS)


def test_valid_values_are_cleaned_to_integers_in_order():
    cleaned, problems = rules.clean_indicator_values(VALID)
    assert problems == []
    assert cleaned == {
        "trainees": 1200,
        "enterprises": 15,
        "training_hours": 36000,
        "certificates": 0,
        "projects": 6,
    }
    assert list(cleaned) == list(rules.INDICATOR_CODES)


@pytest.mark.parametrize(
    "bad",
    [-1, "-1", "1.5", 1.5, "1e3", "abc", True, [], {}, "１２", rules.MAX_VALUE + 1, None, ""],
)
def test_bad_values_are_refused(bad):
    values = {**VALID, "trainees": bad}
    cleaned, problems = rules.clean_indicator_values(values)
    assert cleaned == {}
    assert len(problems) == 1


def test_missing_and_unknown_indicators_are_listed():
    values = dict(VALID)
    del values["projects"]
    values["revenue"] = 5
    with translation.override("en"):
        cleaned, problems = rules.clean_indicator_values(values)
    assert cleaned == {}
    assert len(problems) == 2
    assert "revenue" in problems[1]


def test_not_a_mapping():
    assert rules.clean_indicator_values(["trainees"])[1]


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        ({}, False),
        ({2023: "fail"}, False),
        ({2023: "fail", 2024: "fail"}, True),
        ({2022: "good", 2023: "fail", 2024: "fail"}, True),
        ({2023: "fail", 2024: "pass"}, False),
        ({2022: "fail", 2024: "fail"}, False),  # a year not evaluated breaks the run
        ({2022: "fail", 2023: "fail", 2024: "good"}, False),  # rectified since
        ({2023: "pass", 2024: "fail"}, False),
        ({"2023": "fail", "2024": "fail"}, True),
    ],
)
def test_revocable(grades, expected):
    grades = {int(k): v for k, v in grades.items()}
    assert rules.revocable(grades) is expected
    assert (rules.revocation_refusal(grades) is None) is expected


def test_refusal_names_the_failing_years():
    with translation.override("en"):
        message = rules.revocation_refusal({2021: "fail", 2023: "fail"})
    assert "2021, 2023" in message
    assert "two consecutive" in message
