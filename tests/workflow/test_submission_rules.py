"""The submission rules as plain functions: no database."""

import datetime as dt
from decimal import Decimal

from workflow.rules.submission import (
    ApplicationContent,
    CallTerms,
    completeness_problems,
    eligibility_problems,
    submission_problems,
    window_problem,
)

T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
TERMS = CallTerms(
    opens_at=T0,
    closes_at=T0 + dt.timedelta(days=30),
    eligible_applicant_types=["university", "vocational_school"],
    allowed_modes=["school_led"],
    functions=["training", "innovation"],
    required_attachments=["application_form", "legal_entity_certificate"],
)
COMPLETE = ApplicationContent(
    applicant_type="university",
    title="实训基地",
    construction_mode="school_led",
    functions=["training", "innovation", "production"],
    plan="计划",
    project_lead="李四",
    contact_phone="0351-1",
    funding={"self_raised": Decimal("10")},
    attachment_kinds=["application_form", "legal_entity_certificate", "other"],
)


def test_complete_application_inside_the_window_has_no_problems():
    assert submission_problems(TERMS, COMPLETE, T0 + dt.timedelta(days=1)) == []


def test_window_is_half_open():
    assert window_problem(TERMS, T0) is None
    assert window_problem(TERMS, T0 - dt.timedelta(seconds=1))
    assert window_problem(TERMS, TERMS.closes_at - dt.timedelta(seconds=1)) is None
    assert window_problem(TERMS, TERMS.closes_at)


def test_correction_deadline_extends_the_window_for_a_returned_application():
    late = TERMS.closes_at + dt.timedelta(days=2)
    assert window_problem(TERMS, late, correction_due=late + dt.timedelta(hours=1)) is None
    assert window_problem(TERMS, late, correction_due=late - dt.timedelta(hours=1))


def test_ineligible_type_and_mode_are_named():
    content = ApplicationContent(applicant_type="key_enterprise", construction_mode="park_led")
    assert len(eligibility_problems(TERMS, content)) == 2


def test_every_missing_item_is_listed():
    empty = ApplicationContent(applicant_type="university")
    problems = completeness_problems(TERMS, empty)
    # five text fields, the functions, funding, two attachments
    assert len(problems) == 9


def test_zero_funding_is_not_funding():
    content = ApplicationContent(**{**COMPLETE.__dict__, "funding": {"self_raised": Decimal(0)}})
    assert len(completeness_problems(TERMS, content)) == 1


def test_outside_window_and_incomplete_are_reported_together():
    empty = ApplicationContent(applicant_type="park")
    problems = submission_problems(TERMS, empty, TERMS.closes_at + dt.timedelta(days=1))
    assert len(problems) == 1 + 1 + 9
