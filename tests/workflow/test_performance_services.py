"""绩效评价 services: open, self-report, evaluate, publish, verify rectification, revoke."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import OrganisationFactory, member
from tests.factories_aftercare import (
    INDICATORS,
    award_for,
    awarded_project,
    open_review,
    project,
    published_review,
)
from workflow.choices import ApplicationState, PerformanceGrade, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, PerformanceReview
from workflow.models.award import AwardState
from workflow.models.performance import PerformanceReviewState as S
from workflow.services.performance import (
    performance_evaluate,
    performance_open,
    performance_submit,
    performance_verify_rectification,
    plaque_revoke,
)

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


def due() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=30)


def actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .values_list("action", flat=True)
        .order_by("sequence")
    )


def test_open_creates_one_review_per_active_award_and_skips_existing():
    base = awarded_project()
    second = awarded_project(office=base.office, staff=base.staff)
    revoked = awarded_project(office=base.office, staff=base.staff)
    type(revoked.award).objects.filter(pk=revoked.award.pk).update(state=AwardState.REVOKED)
    other_office = awarded_project()
    late = awarded_project(office=base.office, staff=base.staff)
    type(late.award).objects.filter(pk=late.award.pk).update(awarded_on=dt.date(2099, 1, 1))
    created = performance_open(office=base.office, year=LAST_YEAR, by=base.staff, due_at=due())
    assert {r.award_id for r in created} == {base.award.pk, second.award.pk}
    assert all(r.state == S.SELF_REPORT for r in created)
    assert actions(created[0]) == ["performancereview.open"]
    notes = Notification.objects.filter(kind=Kind.PERFORMANCE_OPENED)
    assert set(notes.values_list("recipient_id", flat=True)) == {
        base.applicant.pk,
        second.applicant.pk,
    }
    assert str(LAST_YEAR) in notes.first().text
    assert not PerformanceReview.objects.filter(award=other_office.award).exists()
    again = performance_open(office=base.office, year=LAST_YEAR, by=base.staff, due_at=due())
    assert again == []


@pytest.mark.parametrize(
    ("year", "due_at"),
    [
        (1999, "future"),
        (timezone.localdate().year + 1, "future"),
        ("2023", "future"),
        (LAST_YEAR, "past"),
    ],
)
def test_open_refuses_bad_year_or_deadline(year, due_at):
    base = awarded_project()
    moment = due() if due_at == "future" else timezone.now() - dt.timedelta(days=1)
    with pytest.raises(Invalid):
        performance_open(office=base.office, year=year, by=base.staff, due_at=moment)
    assert not PerformanceReview.objects.exists()


def test_open_needs_staff_of_that_office():
    base = awarded_project()
    for user in (
        base.applicant,
        member(Role.OFFICE_STAFF, awarded_project().office),
        member(Role.SUPERVISOR, base.office),
        member(Role.OFFICE_DIRECTOR, base.office),
    ):
        with pytest.raises(NotPermitted):
            performance_open(office=base.office, year=LAST_YEAR, by=user, due_at=due())


def test_submit_by_the_applicant_only_with_valid_values():
    base = awarded_project()
    review = open_review(base, LAST_YEAR)
    stranger = member(Role.APPLICANT, OrganisationFactory())
    with pytest.raises(NotPermitted):
        performance_submit(
            review=review, by=stranger, indicator_values=INDICATORS, self_assessment="好"
        )
    with pytest.raises(NotPermitted):
        performance_submit(
            review=review, by=base.staff, indicator_values=INDICATORS, self_assessment="好"
        )
    with pytest.raises(Invalid) as exc:
        performance_submit(
            review=review,
            by=base.applicant,
            indicator_values={**INDICATORS, "trainees": -3},
            self_assessment="好",
        )
    assert exc.value.problems
    with pytest.raises(Invalid):
        performance_submit(
            review=review, by=base.applicant, indicator_values=INDICATORS, self_assessment="  "
        )
    review.refresh_from_db()
    assert review.state == S.SELF_REPORT
    performance_submit(
        review=review,
        by=base.applicant,
        indicator_values={k: str(v) for k, v in INDICATORS.items()},
        self_assessment="全年完成。",
    )
    review.refresh_from_db()
    assert review.state == S.SUBMITTED
    assert review.indicator_values == INDICATORS
    event = AuditEvent.objects.get(action="performancereview.submit")
    assert event.diff["late"] is False
    with pytest.raises(Conflict):
        performance_submit(
            review=review, by=base.applicant, indicator_values=INDICATORS, self_assessment="再交"
        )


def submitted_review(base, year=LAST_YEAR):
    review = open_review(base, year)
    return performance_submit(
        review=review, by=base.applicant, indicator_values=INDICATORS, self_assessment="完成。"
    )


def test_evaluate_fail_needs_findings_and_sets_rectification():
    base = awarded_project()
    review = submitted_review(base)
    with pytest.raises(Invalid):
        performance_evaluate(review=review, by=base.staff, grade=PerformanceGrade.FAIL, findings="")
    with pytest.raises(Invalid):
        performance_evaluate(review=review, by=base.staff, grade="splendid", findings="x")
    with pytest.raises(Invalid):
        performance_evaluate(
            review=review,
            by=base.staff,
            grade=PerformanceGrade.FAIL,
            findings="未达标",
            rectification_due=timezone.localdate(),
        )
    with pytest.raises(NotPermitted):
        performance_evaluate(
            review=review, by=base.applicant, grade=PerformanceGrade.GOOD, findings=""
        )
    performance_evaluate(
        review=review, by=base.staff, grade=PerformanceGrade.FAIL, findings="实训人数未达标。"
    )
    review.refresh_from_db()
    assert review.state == S.EVALUATED
    assert review.evaluator == base.office.name
    assert review.rectification_due > timezone.localdate()
    assert review.evaluated_by == base.staff


def test_evaluate_pass_by_a_named_third_party():
    base = awarded_project()
    review = submitted_review(base)
    performance_evaluate(
        review=review,
        by=base.staff,
        grade=PerformanceGrade.EXCELLENT,
        findings="",
        evaluator="某第三方评估机构",
        rectification_due=timezone.localdate() + dt.timedelta(days=9),
    )
    review.refresh_from_db()
    assert review.evaluator == "某第三方评估机构"
    assert review.rectification_due is None


def test_publish_tells_the_base_and_verify_rectification():
    base = awarded_project()
    review = published_review(base, LAST_YEAR, PerformanceGrade.FAIL)
    assert review.state == S.PUBLISHED and review.published_at
    note = Notification.objects.get(kind=Kind.PERFORMANCE_PUBLISHED)
    assert note.recipient == base.applicant
    with pytest.raises(Invalid):
        performance_verify_rectification(review=review, by=base.staff, note="")
    with pytest.raises(NotPermitted):
        performance_verify_rectification(review=review, by=base.applicant, note="已整改")
    performance_verify_rectification(review=review, by=base.staff, note="现场核查，已整改到位。")
    review.refresh_from_db()
    assert review.rectified_at is not None
    assert actions(review)[-1] == "performancereview.verify_rectification"
    with pytest.raises(Conflict):
        performance_verify_rectification(review=review, by=base.staff, note="再次")


def test_no_rectification_to_verify_after_a_pass():
    base = awarded_project()
    review = published_review(base, LAST_YEAR, PerformanceGrade.PASS)
    with pytest.raises(Conflict):
        performance_verify_rectification(review=review, by=base.staff, note="核查")


def test_fail_then_fail_again_allows_revocation():
    base = awarded_project()
    published_review(base, LAST_YEAR - 1, PerformanceGrade.FAIL)
    published_review(base, LAST_YEAR, PerformanceGrade.FAIL)
    with pytest.raises(Invalid):
        plaque_revoke(award=base.award, by=base.staff, reason="  ")
    with pytest.raises(NotPermitted):
        plaque_revoke(award=base.award, by=base.applicant, reason="连续两年不合格")
    plaque_revoke(award=base.award, by=base.staff, reason="连续两年绩效评价不合格。")
    base.award.refresh_from_db()
    base.application.refresh_from_db()
    assert base.award.state == AwardState.REVOKED
    assert base.award.revoked_on == timezone.localdate()
    assert base.award.revoke_reason == "连续两年绩效评价不合格。"
    assert base.application.state == ApplicationState.REVOKED
    assert actions(base.award) == ["award.revoke"]
    assert actions(base.application)[-1] == "application.revoke"
    note = Notification.objects.get(kind=Kind.PLAQUE_REVOKED)
    assert base.award.number in note.text
    with pytest.raises(Conflict):
        plaque_revoke(award=base.award, by=base.staff, reason="再次")


def test_revocation_refused_after_a_single_fail():
    base = awarded_project()
    published_review(base, LAST_YEAR - 1, PerformanceGrade.GOOD)
    published_review(base, LAST_YEAR, PerformanceGrade.FAIL)
    with pytest.raises(Invalid):
        plaque_revoke(award=base.award, by=base.staff, reason="不合格")
    base.award.refresh_from_db()
    assert base.award.state == AwardState.ACTIVE
    assert not AuditEvent.objects.filter(action="award.revoke").exists()


def test_unpublished_failure_does_not_count():
    base = awarded_project()
    published_review(base, LAST_YEAR - 1, PerformanceGrade.FAIL)
    review = submitted_review(base, LAST_YEAR)
    performance_evaluate(review=review, by=base.staff, grade=PerformanceGrade.FAIL, findings="差")
    with pytest.raises(Invalid):
        plaque_revoke(award=base.award, by=base.staff, reason="不合格")


def test_revoked_plaque_takes_no_more_reports():
    base = awarded_project()
    review = open_review(base, LAST_YEAR)
    type(base.award).objects.filter(pk=base.award.pk).update(state=AwardState.REVOKED)
    with pytest.raises(Conflict):
        performance_submit(
            review=review, by=base.applicant, indicator_values=INDICATORS, self_assessment="x"
        )


def test_award_for_a_constructing_project_is_forced_to_awarded():
    made = project()
    award = award_for(made.application)
    made.application.refresh_from_db()
    assert made.application.state == ApplicationState.AWARDED
    assert award.state == AwardState.ACTIVE


@pytest.mark.parametrize("model", ["performancereview", "tolerancecase"])
def test_admin_is_read_only(client, model):
    from django.urls import reverse

    from tests.factories import UserFactory

    published_review(awarded_project(), LAST_YEAR)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse(f"admin:workflow_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:workflow_{model}_add")).status_code == 403
    review = PerformanceReview.objects.get()
    if model == "performancereview":
        page = client.get(reverse(f"admin:workflow_{model}_change", args=[review.pk]))
        assert page.status_code == 200
        assert b'name="grade"' not in page.content
