"""容错纠错 pages: the list of cases each reader may see, the request form, and a case's page
with the criteria, the cited audit events and the form its reader may use now.

Readers: the applicant organisation of the project, staff and directors of the call's office,
and supervisors (every case, read-only). Only office staff decide and verify; only the
applicant requests and reports the correction.
"""

from __future__ import annotations

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
from workflow.models import Application, AuditEvent, ToleranceCase
from workflow.models.tolerance import ToleranceCaseState
from workflow.rules.tolerance import CRITERION_LABELS
from workflow.selectors import OFFICE_ROLES
from workflow.services.tolerance import (
    PROJECT_STATES,
    evidence_events,
    tolerance_decide,
    tolerance_report_correction,
    tolerance_request,
    tolerance_verify,
)

from ..forms_tolerance import (
    CorrectionReportForm,
    ToleranceDecideForm,
    ToleranceRequestForm,
    VerifyForm,
)
from .common import add_form_errors, applicant_required, paginate, report

S = ToleranceCaseState
RELATED = ("application__organisation", "application__call__office")
# The decide form lists the project's events; a long-running project keeps the newest.
MAX_EVENTS_OFFERED = 300


def cases_visible_to(user: Any) -> QuerySet[ToleranceCase]:
    if not user.is_authenticated or not user.is_active:
        return ToleranceCase.objects.none()
    cases = ToleranceCase.objects.select_related(*RELATED)
    if access.has_role(user, Role.SUPERVISOR):
        return cases
    return cases.filter(
        Q(application__organisation_id__in=access.organisation_ids(user))
        | Q(application__call__office_id__in=access.office_ids(user, OFFICE_ROLES))
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    organisation_ids = access.organisation_ids(user)
    if not (
        organisation_ids
        or access.office_ids(user, OFFICE_ROLES)
        or access.has_role(user, Role.SUPERVISOR)
    ):
        raise PermissionDenied
    page = paginate(request, cases_visible_to(user).order_by("-requested_at", "-id"))
    # The applicant's projects without an open case: where a new request may start.
    requestable = (
        Application.objects.filter(organisation_id__in=organisation_ids, state__in=PROJECT_STATES)
        .exclude(tolerance_cases__in=ToleranceCase.objects.exclude(state=S.CLOSED))
        .order_by("title", "pk")
        if organisation_ids
        else Application.objects.none()
    )
    context = {"page": page, "cases": page.object_list, "requestable": requestable}
    return render(request, "portal/tolerance/list.html", context)


@applicant_required
def request_case(request: HttpRequest, application_pk: int) -> HttpResponse:
    application = get_object_or_404(
        Application.objects.filter(
            organisation_id__in=access.organisation_ids(request.user)
        ).select_related("organisation", "call"),
        pk=application_pk,
    )
    form = ToleranceRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = tolerance_request(
                application=application,
                by=request.user,
                shortfall=form.cleaned_data["shortfall"],
                reasons=form.cleaned_data["reasons"],
            )
        except Invalid as exc:
            add_form_errors(form, exc)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:tolerance_list")
        else:
            messages.success(request, _("The fault-tolerance request is sent to the office."))
            return redirect("portal:tolerance_detail", pk=case.pk)
    elif request.method == "POST":
        messages.error(request, _("Please correct the errors marked below."))
    context = {
        "application": application,
        "form": form,
        "is_project": application.state in PROJECT_STATES,
    }
    return render(request, "portal/tolerance/request.html", context)


def _detail(request: HttpRequest, case: ToleranceCase, **forms: Any) -> HttpResponse:
    user = request.user
    application = case.application
    is_applicant = application.organisation_id in access.organisation_ids(user)
    is_staff = application.call.office_id in access.office_ids(user, (Role.OFFICE_STAFF,))
    can = {
        "decide": is_staff and case.state == S.REQUESTED,
        "correct": is_applicant and case.state == S.CORRECTING,
        "verify": is_staff and case.state == S.CORRECTED,
    }
    if can["decide"]:
        events = list(evidence_events(case).order_by("-sequence")[:MAX_EVENTS_OFFERED])
        events.reverse()
        forms.setdefault("decide_form", ToleranceDecideForm(events=events))
        if forms["decide_form"].is_bound:
            forms["decide_form"].fields["evidence"].choices = (
                ToleranceDecideForm(events=events).fields["evidence"].choices
            )
    if can["correct"]:
        forms.setdefault("correction_form", CorrectionReportForm())
    if can["verify"]:
        forms.setdefault("verify_form", VerifyForm())
    criteria = [(label, getattr(case, name)) for name, label in CRITERION_LABELS.items()]
    rejections = AuditEvent.objects.filter(
        object_type="workflow.tolerancecase",
        object_id=str(case.pk),
        action="tolerancecase.reject_correction",
    ).order_by("sequence")
    context = {
        "case": case,
        "application": application,
        "criteria": criteria,
        "evidence": case.evidence.order_by("sequence"),
        "rejections": rejections,
        "can": can,
        **forms,
    }
    return render(request, "portal/tolerance/detail.html", context)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(cases_visible_to(request.user), pk=pk))


def _decide(
    request: HttpRequest, pk: int, form: Any, key: str, decide: Any, done: str
) -> HttpResponse:
    """Bad input re-renders the case with the errors and changes nothing; a refused decision
    says why; acting without the role is forbidden."""
    case = get_object_or_404(cases_visible_to(request.user), pk=pk)
    if not form.is_valid():
        messages.error(request, _("Please correct the errors marked below."))
        return _detail(request, case, **{key: form})
    try:
        decide(case, form.cleaned_data)
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except Invalid as exc:
        report(request, exc)
        add_form_errors(form, exc)
        return _detail(request, case, **{key: form})
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, done)
    return redirect("portal:tolerance_detail", pk=case.pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    def run(case: ToleranceCase, data: dict[str, Any]) -> None:
        tolerance_decide(
            case=case,
            by=request.user,
            exploratory=data["exploratory"],
            procedures_followed=data["procedures_followed"],
            no_personal_gain=data["no_personal_gain"],
            proactive_correction=data["proactive_correction"],
            evidence_ids=data["evidence"],
            decision=data["decision"],
            decision_reason=data["decision_reason"],
            correction_plan=data["correction_plan"],
            correction_due=data["correction_due"],
        )

    form = ToleranceDecideForm(request.POST)
    return _decide(request, pk, form, "decide_form", run, _("The decision is recorded."))


@login_required
@require_POST
def correction(request: HttpRequest, pk: int) -> HttpResponse:
    def run(case: ToleranceCase, data: dict[str, Any]) -> None:
        tolerance_report_correction(case=case, by=request.user, report=data["report"])

    form = CorrectionReportForm(request.POST)
    return _decide(request, pk, form, "correction_form", run, _("The correction report is sent."))


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    def run(case: ToleranceCase, data: dict[str, Any]) -> None:
        tolerance_verify(case=case, by=request.user, accepted=data["accepted"], note=data["note"])

    form = VerifyForm(request.POST)
    return _decide(request, pk, form, "verify_form", run, _("The verification is recorded."))
