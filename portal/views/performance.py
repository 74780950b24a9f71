"""绩效评价 pages: the office's reviews, one review's page with the forms its reader may use,
and the public results (published grades by year, revoked plaques)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflow import access
from workflow.choices import Role
from workflow.errors import DomainError, Invalid, NotPermitted
from workflow.models import Award, Office, PerformanceReview
from workflow.models.award import AwardState
from workflow.models.performance import PerformanceReviewState
from workflow.rules.performance import INDICATORS, revocable
from workflow.selectors import OFFICE_ROLES
from workflow.services.performance import (
    grades_by_year,
    performance_evaluate,
    performance_open,
    performance_publish,
    performance_submit,
    performance_verify_rectification,
    plaque_revoke,
)

from ..forms_performance import (
    EvaluateForm,
    NoteForm,
    PerformanceOpenForm,
    RevokeForm,
    SelfReportForm,
)
from .common import add_form_errors, office_required, paginate, report

RELATED = ("award__application__organisation", "award__application__call__office")
S = PerformanceReviewState


def reviews_visible_to(user: Any) -> QuerySet[PerformanceReview]:
    """The base's own organisation, staff and directors of the call's office, supervisors."""
    if not user.is_authenticated or not user.is_active:
        return PerformanceReview.objects.none()
    reviews = PerformanceReview.objects.select_related(*RELATED)
    if access.has_role(user, Role.SUPERVISOR):
        return reviews
    return reviews.filter(
        Q(award__application__organisation_id__in=access.organisation_ids(user))
        | Q(award__application__call__office_id__in=access.office_ids(user, OFFICE_ROLES))
    )


def _staff_offices(user: Any) -> QuerySet[Office]:
    return Office.objects.filter(pk__in=access.office_ids(user, (Role.OFFICE_STAFF,)))


def _office_awards(user: Any) -> QuerySet[Award]:
    return Award.objects.filter(
        application__call__office_id__in=access.office_ids(user, OFFICE_ROLES)
    )


def _revocable_awards(user: Any) -> list[Award]:
    """Active plaques of the user's offices that two consecutive failing years let revoke."""
    awards = {
        a.pk: a
        for a in _office_awards(user)
        .filter(state=AwardState.ACTIVE, performance_reviews__grade="fail")
        .select_related("application__organisation")
        .distinct()
    }
    grades: dict[int, dict[int, str]] = defaultdict(dict)
    published = PerformanceReview.objects.filter(award_id__in=awards, state=S.PUBLISHED)
    for award_id, year, grade in published.values_list("award_id", "year", "grade"):
        grades[award_id][year] = grade
    return [a for pk, a in awards.items() if revocable(grades[pk])]


def _office_list(
    request: HttpRequest, open_form: PerformanceOpenForm | None = None
) -> HttpResponse:
    reviews = (
        PerformanceReview.objects.filter(award__in=_office_awards(request.user))
        .select_related(*RELATED)
        .order_by("-year", "award__number")
    )
    page = paginate(request, reviews)
    offices = _staff_offices(request.user)
    if open_form is None and offices.exists():
        open_form = PerformanceOpenForm(offices=offices)
    context = {
        "page": page,
        "reviews": page.object_list,
        "open_form": open_form,
        "revocable": _revocable_awards(request.user),
        "revoke_form": RevokeForm(),
    }
    return render(request, "portal/performance/office_list.html", context)


@office_required
def office_list(request: HttpRequest) -> HttpResponse:
    return _office_list(request)


@office_required
@require_POST
def open_year(request: HttpRequest) -> HttpResponse:
    offices = _staff_offices(request.user)
    if not offices.exists():
        raise PermissionDenied
    form = PerformanceOpenForm(request.POST, offices=offices)
    if not form.is_valid():
        messages.error(request, _("Please correct the errors marked below."))
        return _office_list(request, form)
    try:
        created = performance_open(
            office=form.cleaned_data["office"],
            year=form.cleaned_data["year"],
            by=request.user,
            due_at=form.due_at,
        )
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except Invalid as exc:
        add_form_errors(form, exc)
        report(request, exc)
        return _office_list(request, form)
    if created:
        messages.success(
            request,
            _("%(n)d performance reviews of %(year)d are open for self-reports.")
            % {"n": len(created), "year": form.cleaned_data["year"]},
        )
    else:
        messages.info(request, _("Every active plaque already has a review for that year."))
    return redirect("portal:office_performance_list")


def _detail(request: HttpRequest, review: PerformanceReview, **forms: Any) -> HttpResponse:
    user = request.user
    application = review.award.application
    is_applicant = application.organisation_id in access.organisation_ids(user)
    is_staff = application.call.office_id in access.office_ids(user, (Role.OFFICE_STAFF,))
    award_active = review.award.state == AwardState.ACTIVE
    can = {
        "submit": is_applicant and review.state == S.SELF_REPORT and award_active,
        "evaluate": is_staff and review.state == S.SUBMITTED,
        "publish": is_staff and review.state == S.EVALUATED,
        "verify": is_staff
        and review.state == S.PUBLISHED
        and review.failed
        and review.rectified_at is None,
        "revoke": is_staff and award_active and revocable(grades_by_year(review.award)),
    }
    if can["submit"] and "submit_form" not in forms:
        initial = {f"indicator_{k}": v for k, v in review.indicator_values.items()}
        forms["submit_form"] = SelfReportForm(initial=initial)
    if can["evaluate"]:
        forms.setdefault("evaluate_form", EvaluateForm())
    if can["verify"]:
        forms.setdefault("verify_form", NoteForm())
    if can["revoke"]:
        forms.setdefault("revoke_form", RevokeForm())
    values = [
        (indicator.label, review.indicator_values.get(indicator.code), indicator.unit)
        for indicator in INDICATORS
    ]
    context = {
        "review": review,
        "award": review.award,
        "application": application,
        "values": values,
        "can": can,
        "is_office": application.call.office_id in access.office_ids(user, OFFICE_ROLES),
        **forms,
    }
    return render(request, "portal/performance/detail.html", context)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(reviews_visible_to(request.user), pk=pk)
    return _detail(request, review)


def _decide(
    request: HttpRequest, pk: int, form_class: type, key: str, decide: Any, done: str
) -> HttpResponse:
    """The shared shape of the POST endpoints: bad input re-renders the page with the errors
    and changes nothing; a refused decision says why."""
    review = get_object_or_404(reviews_visible_to(request.user), pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, _("Please correct the errors marked below."))
        return _detail(request, review, **{key: form})
    try:
        decide(review, form)
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except Invalid as exc:
        report(request, exc)
        if form is not None:
            add_form_errors(form, exc)
            return _detail(request, review, **{key: form})
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, done)
    return redirect("portal:performance_detail", pk=review.pk)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(review: PerformanceReview, form: SelfReportForm) -> None:
        performance_submit(
            review=review,
            by=request.user,
            indicator_values=form.indicator_values,
            self_assessment=form.cleaned_data["self_assessment"],
        )

    return _decide(
        request, pk, SelfReportForm, "submit_form", decide, _("The self-report is submitted.")
    )


@office_required
@require_POST
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(review: PerformanceReview, form: EvaluateForm) -> None:
        data = form.cleaned_data
        performance_evaluate(
            review=review,
            by=request.user,
            grade=data["grade"],
            findings=data["findings"],
            evaluator=data["evaluator"],
            rectification_due=data["rectification_due"],
        )

    return _decide(
        request, pk, EvaluateForm, "evaluate_form", decide, _("The evaluation is recorded.")
    )


@office_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(review: PerformanceReview, form: None) -> None:
        performance_publish(review=review, by=request.user)

    return _decide(request, pk, None, "", decide, _("The evaluation is published."))


@office_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(review: PerformanceReview, form: NoteForm) -> None:
        performance_verify_rectification(
            review=review, by=request.user, note=form.cleaned_data["note"]
        )

    return _decide(
        request, pk, NoteForm, "verify_form", decide, _("The rectification is verified.")
    )


@office_required
@require_POST
def revoke(request: HttpRequest, award_pk: int) -> HttpResponse:
    award = get_object_or_404(_office_awards(request.user), pk=award_pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the reason for revoking the plaque."))
        return redirect("portal:office_performance_list")
    try:
        plaque_revoke(award=award, by=request.user, reason=form.cleaned_data["reason"])
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The plaque %(number)s is revoked.") % {"number": award.number})
    return redirect("portal:office_performance_list")


def results(request: HttpRequest) -> HttpResponse:
    """Public: published grades, a year at a time, and every revoked plaque."""
    published = PerformanceReview.objects.filter(state=S.PUBLISHED)
    years = list(published.order_by("-year").values_list("year", flat=True).distinct())
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    if year not in years:
        year = years[0] if years else None
    page = paginate(
        request,
        published.filter(year=year)
        .select_related("award__application__organisation")
        .order_by("award__number"),
    )
    revoked = (
        Award.objects.filter(state=AwardState.REVOKED)
        .select_related("application__organisation")
        .order_by("-revoked_on", "number")
    )
    context = {
        "years": years,
        "year": year,
        "page": page,
        "reviews": page.object_list,
        "revoked": revoked,
        "query": f"year={year}" if year else "",
    }
    return render(request, "portal/performance/results.html", context)
