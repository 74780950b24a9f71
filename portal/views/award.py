"""评审认定 → 授牌: the organisation declares completion; the office draws the acceptance panel,
enters its sheets, awards or terminates; anyone reads the list of awarded bases.

Who may see what:
- acceptance_declare: applicants of the organisation (others 404);
- office pages and actions: staff and directors of the call's office see them (another office's
  applications are 404); the services let only the office's staff decide;
- award_list: everyone, no login; it shows the plaque, never the scores;
- award_certificate: the organisation, the office (staff and director), supervisors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms_award import AcceptanceScoresForm, AwardForm, DeclareForm, TerminateForm
from workflow import access
from workflow.certificates import certificate_pdf
from workflow.choices import ApplicationState, CallRoute, Role
from workflow.errors import DomainError, Invalid
from workflow.models import Acceptance, Application, Award, Office
from workflow.models.award import AcceptanceState
from workflow.rules.acceptance import DEFAULT_PANEL_SIZE, RUBRIC
from workflow.selectors import OFFICE_ROLES
from workflow.services import award as svc

from .common import add_form_errors, applicant_required, office_required, paginate, report

A = ApplicationState
ON_THE_WAY = (A.CONSTRUCTING, A.ACCEPTANCE, A.RECTIFYING)


class DrawForm(forms.Form):
    size = forms.IntegerField(min_value=5, max_value=25, required=False)


# Querysets -----------------------------------------------------------------------------------


def _acceptances() -> Prefetch:
    return Prefetch("acceptances", queryset=Acceptance.objects.order_by("-number"))


def _office_applications(user: Any) -> QuerySet[Application]:
    return (
        Application.objects.filter(call__in=access.calls_managed_by(user))
        .exclude(state=A.DRAFT)
        .select_related("organisation", "call__office")
    )


def _office_acceptances(user: Any) -> QuerySet[Acceptance]:
    return Acceptance.objects.filter(application__in=_office_applications(user))


def _awards() -> QuerySet[Award]:
    return Award.objects.select_related(
        "application__organisation", "application__call__office"
    ).order_by("-awarded_on", "number")


# Applicant -----------------------------------------------------------------------------------


@applicant_required
def acceptance_declare(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        Application.objects.filter(organisation_id__in=access.organisation_ids(request.user))
        .select_related("organisation", "call")
        .prefetch_related(_acceptances()),
        pk=pk,
    )
    can_declare = application.state in svc.DECLARABLE
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            acceptance = svc.acceptance_declare(
                application=application,
                by=request.user,
                completion_report=form.cleaned_data["completion_report"],
            )
        except Invalid as exc:
            add_form_errors(form, exc, "completion_report")
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:acceptance_declare", pk=application.pk)
        else:
            messages.success(
                request,
                _("Completion is declared; acceptance review round %(number)s is requested.")
                % {"number": acceptance.number},
            )
            return redirect("portal:acceptance_declare", pk=application.pk)
    # The organisation sees its results and the panel's conclusion, never marks by expert.
    context = {
        "application": application,
        "acceptances": application.acceptances.all(),
        "form": form,
        "can_declare": can_declare,
    }
    return render(request, "portal/award/declare.html", context)


# Office --------------------------------------------------------------------------------------


@office_required
def office_acceptance_list(request: HttpRequest) -> HttpResponse:
    applications = (
        _office_applications(request.user)
        .filter(Q(state__in=ON_THE_WAY) | Q(state=A.APPROVED, call__route=CallRoute.DIRECT_AWARD))
        .prefetch_related(_acceptances())
        .order_by("call_id", "organisation__name", "pk")
    )
    page = paginate(request, applications)
    # The batch of certificates (a background job) is per office the user belongs to.
    offices = Office.objects.filter(pk__in=access.office_ids(request.user, OFFICE_ROLES)).order_by(
        "name"
    )
    return render(
        request,
        "portal/award/office_list.html",
        {"page": page, "applications": page.object_list, "certificate_offices": offices},
    )


def _can_award(application: Application, latest: Acceptance | None) -> bool:
    """Whether to offer the award button; the service decides for real."""
    if application.state == A.APPROVED:
        return application.call.route == CallRoute.DIRECT_AWARD
    return (
        application.state == A.ACCEPTANCE
        and latest is not None
        and latest.state == AcceptanceState.PASSED
    )


def _render_office_page(
    request: HttpRequest,
    application: Application,
    scores_form: AcceptanceScoresForm | None = None,
    status: int = 200,
) -> HttpResponse:
    acceptances = list(application.acceptances.order_by("-number"))
    latest = acceptances[0] if acceptances else None
    is_staff = application.call.office_id in access.office_ids(request.user, (Role.OFFICE_STAFF,))
    if scores_form is None and latest is not None and latest.state == AcceptanceState.PANEL:
        scores_form = AcceptanceScoresForm(latest.panel)
    for acceptance in acceptances:
        acceptance.sheet_rows = [
            (member, [acceptance.scores.get(str(member["expert"]), {}).get(i.code) for i in RUBRIC])
            for member in acceptance.panel
        ]
    context = {
        "application": application,
        "call": application.call,
        "acceptances": acceptances,
        "latest": latest,
        "rubric": RUBRIC,
        "is_staff": is_staff,
        "can_draw": is_staff and latest is not None and latest.state == AcceptanceState.REQUESTED,
        "draw_form": DrawForm(initial={"size": DEFAULT_PANEL_SIZE}),
        "scores_form": scores_form if is_staff else None,
        "can_award": is_staff and _can_award(application, latest),
        "award_form": AwardForm(),
        "can_terminate": is_staff and application.state in svc.TERMINABLE,
        "terminate_form": TerminateForm(),
        "award": Award.objects.filter(application=application).first(),
    }
    return render(request, "portal/award/office_acceptance.html", context, status=status)


@office_required
def office_acceptance(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(_office_applications(request.user), pk=pk)
    return _render_office_page(request, application)


@office_required
@require_POST
def acceptance_draw(request: HttpRequest, pk: int) -> HttpResponse:
    acceptance = get_object_or_404(_office_acceptances(request.user), pk=pk)
    form = DrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The panel size must be a whole number from 5 to 25."))
    else:
        try:
            acceptance = svc.acceptance_draw_panel(
                acceptance=acceptance,
                by=request.user,
                size=form.cleaned_data["size"] or DEFAULT_PANEL_SIZE,
            )
        except DomainError as exc:
            report(request, exc)
        else:
            messages.success(
                request,
                _("The acceptance panel of %(n)d experts is drawn.") % {"n": len(acceptance.panel)},
            )
    return redirect("portal:office_acceptance", pk=acceptance.application_id)


@office_required
@require_POST
def acceptance_scores(request: HttpRequest, pk: int) -> HttpResponse:
    acceptance = get_object_or_404(_office_acceptances(request.user), pk=pk)
    application = get_object_or_404(
        _office_applications(request.user), pk=acceptance.application_id
    )
    form = AcceptanceScoresForm(acceptance.panel, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            acceptance = svc.acceptance_record_scores(
                acceptance=acceptance,
                by=request.user,
                sheets=form.sheets(),
                conclusion=data["conclusion"],
                rectification_due=data["rectification_due"],
            )
        except Invalid as exc:
            add_form_errors(form, exc)
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:office_acceptance", pk=application.pk)
        else:
            messages.success(
                request,
                _("The acceptance review is decided: %(outcome)s, total %(total)s.")
                % {"outcome": acceptance.get_state_display(), "total": acceptance.total},
            )
            return redirect("portal:office_acceptance", pk=application.pk)
    messages.error(request, _("The score sheets were not recorded; correct them below."))
    return _render_office_page(request, application, scores_form=form)


@office_required
@require_POST
def award_grant(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(_office_applications(request.user), pk=pk)
    form = AwardForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the award date as YYYY-MM-DD, or leave it empty."))
    else:
        try:
            award = svc.award_grant(
                application=application,
                by=request.user,
                awarded_on=form.cleaned_data["awarded_on"],
            )
        except DomainError as exc:
            report(request, exc)
        else:
            messages.success(
                request, _("The plaque %(number)s is awarded.") % {"number": award.number}
            )
    return redirect("portal:office_acceptance", pk=application.pk)


@office_required
@require_POST
def application_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(_office_applications(request.user), pk=pk)
    form = TerminateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for terminating the project."))
    else:
        try:
            svc.application_terminate(
                application=application, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            report(request, exc)
        else:
            messages.success(request, _("The project is terminated."))
    return redirect("portal:office_acceptance", pk=application.pk)


# Public --------------------------------------------------------------------------------------


def award_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, _awards())
    return render(
        request, "portal/award/award_list.html", {"page": page, "awards": page.object_list}
    )


def _may_read_certificate(user: Any, award: Award) -> bool:
    application = award.application
    return (
        application.organisation_id in access.organisation_ids(user)
        or application.call.office_id in access.office_ids(user, OFFICE_ROLES)
        or access.has_role(user, Role.SUPERVISOR)
    )


@login_required
def award_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    award = get_object_or_404(_awards(), pk=pk)
    if not _may_read_certificate(request.user, award):
        raise PermissionDenied
    pdf = certificate_pdf(svc.certificate_content(award))
    response = HttpResponse(pdf, content_type="application/pdf")
    # An ASCII file name: the plaque number's brackets do not survive every browser.
    response["Content-Disposition"] = f'inline; filename="certificate-{award.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
