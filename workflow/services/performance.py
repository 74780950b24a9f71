"""绩效评价 (flow 7): the yearly evaluation of awarded bases, its publication, and revocation.

Decisions recorded here (audit action in brackets):
- performance_open [performancereview.open]: office staff open the year for every active plaque
  of their office's calls awarded by the end of that year; existing reviews are skipped, so
  opening a year twice only adds the plaques awarded since.
- performance_submit [performancereview.submit]: the base's self-report; late reports are
  accepted and marked late in the audit trail, since refusing them would leave the year
  unevaluated for good.
- performance_evaluate [performancereview.evaluate]: the office, or a third party it names,
  grades the report. A failing grade states its findings and opens a rectification (限期整改).
- performance_publish [performancereview.publish]: the grade becomes public and the base is told.
- performance_verify_rectification [performancereview.verify_rectification]: the office
  confirms the rectification after a published failing grade.
- plaque_revoke [award.revoke, application.revoke]: failing grades in two consecutive published
  years (workflow.rules.performance.revocable) let the office revoke the plaque, with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify
from processes import engine
from workflow import access, audit
from workflow.choices import PerformanceGrade, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Award, Office, PerformanceReview
from workflow.models.award import AwardState
from workflow.models.performance import PerformanceReviewState
from workflow.rules import performance as rules
from workflow.services.base import apply_transition, clean_reason, lock

MAX_TEXT_LENGTH = 10000
MAX_EVALUATOR_LENGTH = 200
FIRST_YEAR = 2000
# 限期整改: half a year unless the office sets another date.
RECTIFICATION_DAYS = 180


def clean_text(text: str | None, *, label: str, required: bool = True) -> str:
    value = (text or "").strip()
    if required and not value:
        raise Invalid(_("%(label)s is required.") % {"label": label})
    if len(value) > MAX_TEXT_LENGTH:
        raise Invalid(
            _("%(label)s is too long (at most %(n)d characters).")
            % {"label": label, "n": MAX_TEXT_LENGTH}
        )
    return value


def require_office_staff(user: Any, office: Office) -> Role:
    if office.pk in access.office_ids(user, (Role.OFFICE_STAFF,)):
        return Role.OFFICE_STAFF
    raise NotPermitted(_("Only staff of this office may do this."))


def grades_by_year(award: Award) -> dict[int, str]:
    """The published grades of a plaque, by year evaluated."""
    return dict(
        PerformanceReview.objects.filter(
            award=award, state=PerformanceReviewState.PUBLISHED
        ).values_list("year", "grade")
    )


def _applicants(review: PerformanceReview) -> list[int]:
    return recipients.applicants_of(review.award.application.organisation_id)


def performance_open(
    *, office: Office, year: int, by: Any, due_at: dt.datetime
) -> list[PerformanceReview]:
    """Open the yearly evaluation: one review per active plaque of the office's calls."""
    current_year = timezone.localdate().year
    if (
        not isinstance(year, int)
        or isinstance(year, bool)
        or not (FIRST_YEAR <= year <= current_year)
    ):
        raise Invalid(
            _("The year evaluated must be between %(first)d and %(last)d.")
            % {"first": FIRST_YEAR, "last": current_year}
        )
    if not isinstance(due_at, dt.datetime) or due_at <= timezone.now():
        raise Invalid(_("The self-report deadline must be in the future."))
    with transaction.atomic():
        # Locking the office makes two staff opening the same year at once take turns.
        office = lock(office)
        role = require_office_staff(by, office)
        awards = (
            Award.objects.filter(
                state=AwardState.ACTIVE,
                application__call__office=office,
                awarded_on__year__lte=year,
            )
            .exclude(performance_reviews__year=year)
            .select_related("application__organisation", "application__call")
            .order_by("number")
        )
        created = []
        for award in awards:
            review = PerformanceReview.objects.create(award=award, year=year, due_at=due_at)
            audit.record(
                action="performancereview.open",
                obj=review,
                by=by,
                role=role,
                to_state=review.state,
                diff={"award": award.pk, "year": year, "due_at": due_at.isoformat()},
            )
            notify(
                Kind.PERFORMANCE_OPENED,
                recipients.applicants_of(award.application.organisation_id),
                award.application,
                year=year,
                due=due_at,
            )
            engine.sync(review, by=by)
            created.append(review)
    return created


def performance_submit(
    *,
    review: PerformanceReview,
    by: Any,
    indicator_values: Mapping[str, Any],
    self_assessment: str,
) -> PerformanceReview:
    """The base reports its indicator values and assesses its own year."""
    with transaction.atomic():
        review = lock(review)
        role = access.require_applicant(by, review.award.application)
        if review.award.state != AwardState.ACTIVE:
            raise Conflict(_("The plaque has been revoked; no more reports are taken."))
        values, problems = rules.clean_indicator_values(indicator_values)
        if problems:
            raise Invalid(_("The self-report cannot be submitted."), problems)
        review.indicator_values = values
        review.self_assessment = clean_text(self_assessment, label=_("The self-assessment"))
        now = timezone.now()
        apply_transition(
            review,
            "submit",
            by=by,
            role=role,
            diff={"indicator_values": values, "late": now > review.due_at},
            update_fields=("indicator_values", "self_assessment"),
        )
        engine.sync(review, by=by)
    return review


def performance_evaluate(
    *,
    review: PerformanceReview,
    by: Any,
    grade: str,
    findings: str,
    evaluator: str = "",
    rectification_due: dt.date | None = None,
) -> PerformanceReview:
    """Grade the year. `evaluator` names a third party; blank means the office itself."""
    if grade not in PerformanceGrade.values:
        raise Invalid(_("Choose a grade."))
    with transaction.atomic():
        review = lock(review)
        call = review.award.application.call
        role = access.require_office(by, call)
        failed = grade == PerformanceGrade.FAIL
        findings = clean_text(findings, label=_("The findings"), required=failed)
        evaluator = (evaluator or "").strip() or call.office.name
        if len(evaluator) > MAX_EVALUATOR_LENGTH:
            raise Invalid(
                _("The evaluator's name is too long (at most %(n)d characters).")
                % {"n": MAX_EVALUATOR_LENGTH}
            )
        today = timezone.localdate()
        if failed:
            rectification_due = rectification_due or today + dt.timedelta(days=RECTIFICATION_DAYS)
            if rectification_due <= today:
                raise Invalid(_("The rectification deadline must be in the future."))
        else:
            rectification_due = None
        review.grade = grade
        review.findings = findings
        review.evaluator = evaluator
        review.rectification_due = rectification_due
        review.evaluated_by = by
        apply_transition(
            review,
            "evaluate",
            by=by,
            role=role,
            reason=findings[:2000],
            diff={
                "grade": grade,
                "evaluator": evaluator,
                "rectification_due": rectification_due.isoformat() if rectification_due else None,
            },
            update_fields=("grade", "findings", "evaluator", "rectification_due", "evaluated_by"),
        )
        engine.sync(review, by=by)
    return review


def performance_publish(*, review: PerformanceReview, by: Any) -> PerformanceReview:
    """Publish the grade; the base is told."""
    with transaction.atomic():
        review = lock(review)
        application = review.award.application
        role = access.require_office(by, application.call)
        review.published_at = timezone.now()
        apply_transition(
            review,
            "publish",
            by=by,
            role=role,
            diff={"grade": review.grade, "year": review.year},
            update_fields=("published_at",),
        )
        notify(
            Kind.PERFORMANCE_PUBLISHED,
            _applicants(review),
            application,
            year=review.year,
            grade=PerformanceGrade(review.grade).label,
        )
        engine.sync(review, by=by)
    return review


def performance_verify_rectification(
    *, review: PerformanceReview, by: Any, note: str
) -> PerformanceReview:
    """The office confirms that the base rectified what the published failing grade found."""
    with transaction.atomic():
        review = lock(review)
        role = access.require_office(by, review.award.application.call)
        if review.state != PerformanceReviewState.PUBLISHED or not review.failed:
            raise Conflict(_("Only a published failing grade has a rectification to verify."))
        if review.rectified_at is not None:
            raise Conflict(_("This rectification has already been verified."))
        note = clean_reason(note, required=True)
        review.rectified_at = timezone.now()
        review.save(update_fields=["rectified_at"])
        audit.record(
            action="performancereview.verify_rectification",
            obj=review,
            by=by,
            role=role,
            from_state=review.state,
            to_state=review.state,
            reason=note,
            diff={"rectified_at": review.rectified_at.isoformat()},
        )
        engine.sync(review, by=by)
    return review


def plaque_revoke(*, award: Award, by: Any, reason: str) -> Award:
    """撤销授牌 after failing grades in two consecutive published years."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        award = lock(award)
        application = lock(award.application)
        role = access.require_office(by, application.call)
        if award.state != AwardState.ACTIVE:
            raise Conflict(_("This plaque has already been revoked."))
        grades = grades_by_year(award)
        refusal = rules.revocation_refusal(grades)
        if refusal:
            raise Invalid(refusal)
        award.revoked_on = timezone.localdate()
        award.revoke_reason = reason
        failing_years = sorted(grades, reverse=True)[:2]
        apply_transition(
            award,
            "revoke",
            by=by,
            role=role,
            reason=reason,
            diff={"failing_years": failing_years},
            update_fields=("revoked_on", "revoke_reason"),
        )
        apply_transition(
            application,
            "revoke",
            by=by,
            role=role,
            reason=reason,
            diff={"award": award.pk, "number": award.number},
        )
        notify(
            Kind.PLAQUE_REVOKED,
            recipients.applicants_of(application.organisation_id),
            application,
            number=award.number,
            reason=reason,
        )
        # Every review of the plaque: a rectification still awaiting verification is moot now.
        engine.sync(*PerformanceReview.objects.filter(award=award), by=by)
    return award
