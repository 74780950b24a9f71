"""揭榜落地: the office drafts and sends the task agreement; the organisation confirms or returns
it, then reports and records its milestones.

Who sees what: the office pages (office/landing/...) are for staff of the call's office only;
the agreement and the reports (landing/...) are read by the organisation and by the call's
office (staff and director); only the organisation confirms, returns, reports and records
milestones. Anyone else gets 404, so the pages do not tell who has an agreement.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms_landing import (
    AgreementForm,
    MilestoneDoneForm,
    MilestoneFormSet,
    ReportForm,
    ReturnForm,
    milestones_of,
)
from workflow import access
from workflow.agreement_pdf import agreement_pdf as render_pdf
from workflow.choices import ApplicationState, CallRoute, FundingSource, Role
from workflow.errors import DomainError, Invalid
from workflow.models import Agreement, Application, Milestone, ProgressReport
from workflow.models.landing import AgreementState, ReportState
from workflow.selectors import OFFICE_ROLES
from workflow.services import landing as services

from .common import add_form_errors, applicant_required, paginate, report

View = Callable[..., HttpResponse]

LANDING_STATES = (ApplicationState.APPROVED, ApplicationState.CONSTRUCTING)


def _staff_office_ids(user: Any) -> set[int]:
    return access.office_ids(user, (Role.OFFICE_STAFF,))


def staff_required(view: View) -> View:
    """Office staff only (not the director, who does not draft agreements); others get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _staff_office_ids(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _office_application(request: HttpRequest, pk: int) -> Application:
    queryset = Application.objects.filter(
        call__office_id__in=_staff_office_ids(request.user), call__route=CallRoute.SELECTION
    ).exclude(state=ApplicationState.DRAFT)
    return get_object_or_404(queryset.select_related("call__office", "organisation"), pk=pk)


def _readable(user: Any) -> Q:
    """Applications whose agreement and reports `user` may read."""
    return Q(organisation_id__in=access.organisation_ids(user)) | (
        Q(call__office_id__in=access.office_ids(user, OFFICE_ROLES))
        & ~Q(state=ApplicationState.DRAFT)
    )


def _readable_application(request: HttpRequest, pk: int) -> Application:
    queryset = Application.objects.filter(_readable(request.user))
    return get_object_or_404(queryset.select_related("call__office", "organisation"), pk=pk)


def _own_application(request: HttpRequest, pk: int) -> Application:
    queryset = Application.objects.filter(organisation_id__in=access.organisation_ids(request.user))
    return get_object_or_404(queryset.select_related("call", "organisation"), pk=pk)


def _is_applicant(request: HttpRequest, application: Application) -> bool:
    return application.organisation_id in access.organisation_ids(request.user)


def _agreement(application: Application) -> Agreement | None:
    return Agreement.objects.filter(application=application).first()


def _funding_lines(agreement: Agreement | None) -> list[tuple[Any, str]]:
    if agreement is None:
        return []
    return [
        (FundingSource(code).label if code in FundingSource.values else code, amount)
        for code, amount in sorted((agreement.funding or {}).items())
    ]


def _milestones(agreement: Agreement | None) -> list[Milestone]:
    return list(agreement.milestones.order_by("due_on", "pk")) if agreement else []


# Office -----------------------------------------------------------------------------------------


@staff_required
def office_landing(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    due = Q(agreement__reports__state=ReportState.DUE)
    applications = (
        Application.objects.filter(
            call__office_id__in=_staff_office_ids(request.user),
            call__route=CallRoute.SELECTION,
            state__in=LANDING_STATES,
        )
        .select_related("call", "organisation", "agreement")
        .annotate(
            overdue_reports=Count(
                "agreement__reports", filter=due & Q(agreement__reports__due_at__lt=now)
            ),
            submitted_reports=Count(
                "agreement__reports", filter=Q(agreement__reports__state=ReportState.SUBMITTED)
            ),
        )
        .order_by("call__title", "organisation__name", "pk")
    )
    page = paginate(request, applications)
    return render(
        request,
        "portal/landing/office_list.html",
        {"page": page, "applications": page.object_list},
    )


@staff_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _office_application(request, pk)
    agreement = _agreement(application)
    editable = application.state == ApplicationState.APPROVED and (
        agreement is None or agreement.state == AgreementState.DRAFT
    )
    data = request.POST if request.method == "POST" else None
    form = AgreementForm(data, agreement=agreement)
    # Initial rows only for the page shown: posted rows stand on their own, so a blank extra
    # row is not taken for a changed one.
    initial = (
        [{"title": m.title, "due_on": m.due_on} for m in _milestones(agreement)]
        if data is None
        else None
    )
    formset = MilestoneFormSet(data, prefix="milestones", initial=initial)
    if data is not None:
        # Both are validated, so every error shows at once.
        valid = form.is_valid()
        valid = formset.is_valid() and valid
        if valid:
            try:
                agreement = services.agreement_draft(
                    application=application,
                    by=request.user,
                    milestones=milestones_of(formset),
                    **form.terms(),
                )
            except Invalid as exc:
                add_form_errors(form, exc)
            except DomainError as exc:
                report(request, exc)
                return redirect("portal:agreement_edit", pk=application.pk)
            else:
                messages.success(
                    request, _("The task agreement is saved; the subsidies are recomputed.")
                )
                return redirect("portal:agreement_edit", pk=application.pk)
        else:
            messages.error(request, _("The task agreement is not saved: correct the errors below."))
    context = {
        "application": application,
        "agreement": agreement,
        "form": form,
        "formset": formset,
        "editable": editable,
        "can_send": editable and agreement is not None,
        "funding_lines": _funding_lines(agreement),
        "milestones": _milestones(agreement),
    }
    return render(request, "portal/landing/agreement_edit.html", context)


@staff_required
@require_POST
def agreement_send(request: HttpRequest, pk: int) -> HttpResponse:
    application = _office_application(request, pk)
    agreement = get_object_or_404(Agreement, application=application)
    try:
        services.agreement_send(agreement=agreement, by=request.user)
    except DomainError as exc:
        report(request, exc)
        return redirect("portal:agreement_edit", pk=application.pk)
    messages.success(request, _("The task agreement is sent to the organisation for confirmation."))
    return redirect("portal:agreement_detail", pk=application.pk)


# Organisation and office --------------------------------------------------------------------


def _detail_context(
    request: HttpRequest,
    application: Application,
    *,
    return_form: ReturnForm | None = None,
    done_forms: dict[int, MilestoneDoneForm] | None = None,
) -> dict[str, Any]:
    agreement = _agreement(application)
    is_applicant = _is_applicant(request, application)
    # The organisation reads the agreement once the office has sent it; a draft is the office's.
    shown = agreement is not None and (not is_applicant or agreement.state != AgreementState.DRAFT)
    confirmed = agreement is not None and agreement.state == AgreementState.CONFIRMED
    done_forms = done_forms or {}
    milestones = _milestones(agreement) if shown else []
    return {
        "application": application,
        "agreement": agreement,
        "shown": shown,
        "is_applicant": is_applicant,
        "is_office": application.call.office_id in access.office_ids(request.user, OFFICE_ROLES),
        "can_answer": is_applicant
        and agreement is not None
        and agreement.state == AgreementState.SENT,
        "return_form": return_form or ReturnForm(),
        "funding_lines": _funding_lines(agreement) if shown else [],
        "milestone_rows": [
            (
                m,
                done_forms.get(m.pk)
                or (
                    MilestoneDoneForm(initial={"done_on": timezone.localdate()}, prefix=f"m{m.pk}")
                    if is_applicant and confirmed and m.done_on is None
                    else None
                ),
            )
            for m in milestones
        ],
    }


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _readable_application(request, pk)
    return render(
        request, "portal/landing/agreement_detail.html", _detail_context(request, application)
    )


@applicant_required
@require_POST
def agreement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    agreement = get_object_or_404(Agreement, application=application)
    try:
        services.agreement_confirm(agreement=agreement, by=request.user)
    except DomainError as exc:
        report(request, exc)
        return redirect("portal:agreement_detail", pk=application.pk)
    messages.success(
        request,
        _("The task agreement is confirmed: construction starts and the reports are scheduled."),
    )
    return redirect("portal:report_list", pk=application.pk)


@applicant_required
@require_POST
def agreement_return(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    agreement = get_object_or_404(Agreement, application=application)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_return(
                agreement=agreement, by=request.user, reason=form.cleaned_data["reason"]
            )
        except Invalid as exc:
            add_form_errors(form, exc, "reason")
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:agreement_detail", pk=application.pk)
        else:
            messages.success(request, _("The task agreement is returned to the office."))
            return redirect("portal:agreement_detail", pk=application.pk)
    messages.error(request, _("The task agreement is not returned: give a reason."))
    context = _detail_context(request, application, return_form=form)
    return render(request, "portal/landing/agreement_detail.html", context)


@applicant_required
@require_POST
def milestone_done(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(
        Milestone.objects.filter(
            agreement__application__organisation_id__in=access.organisation_ids(request.user)
        ).select_related("agreement__application"),
        pk=pk,
    )
    application = milestone.agreement.application
    form = MilestoneDoneForm(request.POST, prefix=f"m{milestone.pk}")
    if form.is_valid():
        try:
            services.milestone_done(
                milestone=milestone, by=request.user, done_on=form.cleaned_data["done_on"]
            )
        except Invalid as exc:
            add_form_errors(form, exc, "done_on")
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:agreement_detail", pk=application.pk)
        else:
            messages.success(
                request, _("“%(title)s” is recorded as reached.") % {"title": milestone.title}
            )
            return redirect("portal:agreement_detail", pk=application.pk)
    messages.error(request, _("The milestone is not recorded: correct the date."))
    context = _detail_context(
        request, _readable_application(request, application.pk), done_forms={milestone.pk: form}
    )
    return render(request, "portal/landing/agreement_detail.html", context)


def _report_rows(reports: QuerySet[ProgressReport]) -> list[tuple[ProgressReport, bool]]:
    now = timezone.now()
    return [(r, r.state == ReportState.DUE and r.due_at < now) for r in reports]


@login_required
def report_list(request: HttpRequest, pk: int) -> HttpResponse:
    application = _readable_application(request, pk)
    agreement = _agreement(application)
    reports = ProgressReport.objects.filter(agreement=agreement).order_by("due_at", "pk")
    rows = _report_rows(reports) if agreement is not None else []
    context = {
        "application": application,
        "agreement": agreement,
        "rows": rows,
        "overdue": sum(1 for _r, late in rows if late),
        "is_applicant": _is_applicant(request, application),
    }
    return render(request, "portal/landing/report_list.html", context)


@login_required
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    readable = Application.objects.filter(_readable(request.user))
    progress_report = get_object_or_404(
        ProgressReport.objects.filter(agreement__application__in=readable).select_related(
            "agreement__application__call", "agreement__application__organisation"
        ),
        pk=pk,
    )
    application = progress_report.agreement.application
    is_applicant = _is_applicant(request, application)
    if request.method == "POST" and not is_applicant:
        raise PermissionDenied
    can_submit = is_applicant and progress_report.state == ReportState.DUE
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_submit(
                report=progress_report, by=request.user, content=form.cleaned_data["content"]
            )
        except Invalid as exc:
            add_form_errors(form, exc, "content")
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:report_submit", pk=progress_report.pk)
        else:
            messages.success(request, _("The report is submitted."))
            return redirect("portal:report_list", pk=application.pk)
    context = {
        "application": application,
        "report": progress_report,
        "overdue": progress_report.state == ReportState.DUE
        and progress_report.due_at < timezone.now(),
        "form": form,
        "can_submit": can_submit,
    }
    return render(request, "portal/landing/report_submit.html", context)


@login_required
def agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """揭榜任务书 as a PDF, for whoever may read the agreement on its page."""
    application = _readable_application(request, pk)
    context = _detail_context(request, application)
    if not context["shown"]:
        raise Http404
    response = HttpResponse(render_pdf(context["agreement"]), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{application.pk}.pdf"'
    return response
