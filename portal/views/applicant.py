"""Applicant pages: an organisation's own applications (申报书), from draft to submission.

Every application is fetched through selectors built on access.applications_visible_to and
narrowed to the user's own organisations, so another organisation's application is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from workflow import access, selectors
from workflow.choices import ApplicationState
from workflow.errors import Conflict, DomainError, Invalid, NotPermitted
from workflow.models import Application, Award
from workflow.selectors.timeline import application_timeline
from workflow.services.applications import (
    application_create,
    application_submit,
    application_update,
    application_withdraw,
    attachment_add,
    attachment_remove,
)

from ..forms import ApplicationForm, AttachmentForm, WithdrawForm
from .common import add_form_errors, applicant_required, paginate, report

WITHDRAWABLE = (ApplicationState.SUBMITTED, ApplicationState.RETURNED, ApplicationState.ACCEPTED)


def _data(request: HttpRequest):
    """Bind on every POST, even an empty one, so that it is validated and never ignored."""
    return request.POST if request.method == "POST" else None


def _own(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(selectors.applicant_application_detail(request.user), pk=pk)


@applicant_required
def application_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.applicant_applications(request.user))
    return render(
        request,
        "portal/applicant/application_list.html",
        {"page": page, "applications": page.object_list, "states": ApplicationState},
    )


@applicant_required
def application_create_view(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.public_calls(), pk=call_pk)
    if not selectors.call_is_open(call):
        messages.error(request, _("This call is not open for applications."))
        return redirect("portal:call_detail", pk=call.pk)
    organisations = list(selectors.applicant_organisations(request.user))
    existing = selectors.live_application_for(call, {o.pk for o in organisations})
    if existing is not None and len(organisations) == 1 and request.method == "GET":
        messages.info(request, _("Your organisation already has an application to this call."))
        return redirect("portal:application_detail", pk=existing.pk)
    form = ApplicationForm(_data(request), call=call, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            application = application_create(
                call=call,
                organisation=form.chosen_organisation(),
                by=request.user,
                content=form.content(),
                partner_ids=form.partner_ids(),
                funding=form.funding(),
            )
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("The draft is saved. Add the attachments, then submit it."))
            return redirect("portal:application_detail", pk=application.pk)
    return render(
        request,
        "portal/applicant/application_form.html",
        {"form": form, "call": call, "application": None},
    )


@applicant_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own(request, pk)
    if not application.is_editable:
        messages.error(request, _("This application can no longer be changed."))
        return redirect("portal:application_detail", pk=application.pk)
    form = ApplicationForm(
        _data(request),
        call=application.call,
        organisations=[application.organisation],
        application=application,
    )
    if request.method == "POST" and form.is_valid():
        try:
            application_update(
                application=application,
                by=request.user,
                content=form.content(),
                partner_ids=form.partner_ids(),
                funding=form.funding(),
            )
        except Conflict as exc:
            report(request, exc)
            return redirect("portal:application_detail", pk=application.pk)
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("portal:application_detail", pk=application.pk)
    return render(
        request,
        "portal/applicant/application_form.html",
        {"form": form, "call": application.call, "application": application},
    )


# After approval the application is the project: agreement, reports, acceptance, award.
PROJECT_STATES = (
    ApplicationState.APPROVED,
    ApplicationState.CONSTRUCTING,
    ApplicationState.ACCEPTANCE,
    ApplicationState.RECTIFYING,
    ApplicationState.AWARDED,
    ApplicationState.REVOKED,
)


def _detail(
    request: HttpRequest,
    application: Application,
    *,
    attachment_form: AttachmentForm | None = None,
    withdraw_form: WithdrawForm | None = None,
) -> HttpResponse:
    call = application.call
    context = {
        "application": application,
        "call": call,
        "latest_check": selectors.latest_formal_check(application),
        "checklist": selectors.submission_checklist(application),
        "attachments": application.attachments.all(),
        "attachment_form": attachment_form or AttachmentForm(),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "can_withdraw": application.state in WITHDRAWABLE,
        "states": ApplicationState,
        "project_states": PROJECT_STATES,
        "award": Award.objects.filter(application=application).first(),
        "timeline": application_timeline(application),
    }
    return render(request, "portal/applicant/application_detail.html", context)


@applicant_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _own(request, pk))


@applicant_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment_add(
                application=application,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                by=request.user,
            )
        except Invalid as exc:
            add_form_errors(form, exc, "file")
        except (Conflict, NotPermitted) as exc:
            report(request, exc)
            return redirect("portal:application_detail", pk=application.pk)
        else:
            messages.success(request, _("The document is uploaded."))
            return redirect("portal:application_detail", pk=application.pk)
    # Re-read: the failed upload changed nothing, and the page shows the stored state.
    return _detail(request, _own(request, pk), attachment_form=form)


@applicant_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    application = _own(request, pk)
    attachment = get_object_or_404(application.attachments.all(), pk=attachment_pk)
    try:
        attachment_remove(attachment=attachment, by=request.user)
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The document is removed."))
    return redirect("portal:application_detail", pk=application.pk)


@applicant_required
@require_POST
def application_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own(request, pk)
    try:
        application_submit(application=application, by=request.user)
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The application is submitted to the office."))
    return redirect("portal:application_detail", pk=application.pk)


@applicant_required
@require_POST
def application_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, withdraw_form=form)
    try:
        application_withdraw(
            application=application, by=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The application is withdrawn."))
    return redirect("portal:application_detail", pk=application.pk)


@login_required
@never_cache
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """Stream a stored PDF to someone who may see its application (its applicant, its office)."""
    application = get_object_or_404(access.applications_visible_to(request.user), pk=pk)
    attachment = get_object_or_404(application.attachments.all(), pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/pdf",
    )
