"""Applicant pages: an organisation's own applications (申报书), from draft to submission.

Every application is fetched through selectors built on access.applications_visible_to and
narrowed to the user's own organisations, so another organisation's application is a 404.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from workflow import access, selectors
from workflow.choices import ApplicationState
from workflow.errors import Conflict, DomainError, Invalid, NotPermitted
from workflow.models import Application, Award
from workflow.rules.submission import submission_problems
from workflow.selectors.timeline import application_timeline
from workflow.services.applications import (
    application_content,
    application_create,
    application_submit,
    application_update,
    application_withdraw,
    attachment_add,
    attachment_remove,
    call_terms,
)

from ..forms import FORM_STEPS, STEP_FIELDS, ApplicationForm, AttachmentForm, WithdrawForm
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


# The multi-step form (申报书分步填写) ----------------------------------------------------------
#
# Five steps edit the content (forms.STEP_FIELDS), one uploads the attachments, the last one
# confirms. Each content step validates and saves only its own fields; the services decide.

ATTACHMENTS_STEP = "attachments"
CONFIRM_STEP = "confirm"
STEP_LABELS = {
    "overview": gettext_lazy("Project overview"),
    "plan": gettext_lazy("Construction plan"),
    "contact": gettext_lazy("Contact"),
    "funding": gettext_lazy("Funding"),
    "partners": gettext_lazy("Partners"),
    ATTACHMENTS_STEP: gettext_lazy("Attachments"),
    CONFIRM_STEP: gettext_lazy("Confirm and submit"),
}
STEPS = (*FORM_STEPS, ATTACHMENTS_STEP, CONFIRM_STEP)
# The partners are optional: no checklist item belongs to that step, so it shows no state.
CHECKED_STEPS = ("overview", "plan", "contact", "funding", ATTACHMENTS_STEP)


def _step_url(application: Application, step: str) -> str:
    if step == CONFIRM_STEP:
        return reverse("portal:application_confirm", args=[application.pk])
    return reverse("portal:application_step", args=[application.pk, step])


def _neighbour(step: str, offset: int) -> str | None:
    index = STEPS.index(step) + offset
    return STEPS[index] if 0 <= index < len(STEPS) else None


def _fixes(application: Application) -> dict[str, dict[str, Any]]:
    """For each step, its part of the content as a complete application would have it."""
    terms = call_terms(application.call)
    allowed = list(terms.allowed_modes)
    return {
        "overview": {
            "title": "-",
            "construction_mode": allowed[0] if allowed else "",
            "functions": tuple(terms.functions),
        },
        "plan": {"plan": "-"},
        "contact": {"project_lead": "-", "contact_phone": "-"},
        "funding": {"funding": {"-": Decimal(1)}},
        ATTACHMENTS_STEP: {"attachment_kinds": tuple(terms.required_attachments)},
    }


def checklist_by_step(application: Application, checklist: list[str]) -> list[tuple[str, str]]:
    """Each problem of the submission checklist with the step that fixes it ("" for none, e.g.
    the call's window). A problem belongs to a step when completing that step's part of the
    content makes it disappear, so the rules in workflow.rules.submission stay the only rules."""
    if not checklist:
        return []
    terms = call_terms(application.call)
    content = application_content(application)
    now = timezone.now()
    due = application.correction_due if application.state == ApplicationState.RETURNED else None
    owner: dict[str, str] = {}
    for step, fix in _fixes(application).items():
        remaining = set(submission_problems(terms, dataclasses.replace(content, **fix), now, due))
        for problem in checklist:
            if problem not in remaining:
                owner.setdefault(problem, step)
    return [(problem, owner.get(problem, "")) for problem in checklist]


def _step_context(
    application: Application | None, current: str, problems: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The step indicator: every step with its link, and complete/incomplete where it applies."""
    if application is not None and problems is None:
        problems = checklist_by_step(application, selectors.submission_checklist(application))
    unfinished = {step for _problem, step in problems or []}
    steps = []
    for number, step in enumerate(STEPS, start=1):
        complete = None
        if application is not None and step in CHECKED_STEPS:
            complete = step not in unfinished
        elif application is not None and step == CONFIRM_STEP:
            complete = not problems
        steps.append(
            {
                "slug": step,
                "number": number,
                "label": STEP_LABELS[step],
                "url": _step_url(application, step) if application is not None else "",
                "current": step == current,
                "complete": complete,
            }
        )
    previous, following = _neighbour(current, -1), _neighbour(current, 1)
    return {
        "steps": steps,
        "step": current,
        "step_label": STEP_LABELS[current],
        "step_number": STEPS.index(current) + 1,
        "step_count": len(STEPS),
        "previous_step": previous,
        "next_step": following,
        "previous_url": _step_url(application, previous) if application and previous else "",
        "next_url": _step_url(application, following) if application and following else "",
    }


def _whole_form_post(request: HttpRequest) -> bool:
    """A post of the whole application on one page (the form before the steps, scripts): any
    field beyond the first step means it, and then every field is validated and saved."""
    later = {name for step in FORM_STEPS[1:] for name in STEP_FIELDS[step]}
    return request.method == "POST" and any(name in request.POST for name in later)


def _render_step(
    request: HttpRequest,
    form: ApplicationForm,
    call: Any,
    application: Application | None,
    step: str,
) -> HttpResponse:
    context = {
        "form": form,
        "call": call,
        "application": application,
        "autosave_url": (
            reverse("portal:application_autosave", args=[application.pk, step])
            if application is not None
            else ""
        ),
        **_step_context(application, step),
    }
    return render(request, "portal/applicant/application_step.html", context)


def _render_whole_form(
    request: HttpRequest, form: ApplicationForm, call: Any, application: Application | None
) -> HttpResponse:
    return render(
        request,
        "portal/applicant/application_form.html",
        {"form": form, "call": call, "application": application},
    )


@applicant_required
def application_create_view(request: HttpRequest, call_pk: int) -> HttpResponse:
    """Step 1 for a new application: the first save creates the draft."""
    call = get_object_or_404(selectors.public_calls(), pk=call_pk)
    if not selectors.call_is_open(call):
        messages.error(request, _("This call is not open for applications."))
        return redirect("portal:call_detail", pk=call.pk)
    organisations = list(selectors.applicant_organisations(request.user))
    existing = selectors.live_application_for(call, {o.pk for o in organisations})
    if existing is not None and len(organisations) == 1 and request.method == "GET":
        messages.info(request, _("Your organisation already has an application to this call."))
        return redirect("portal:application_detail", pk=existing.pk)
    whole = _whole_form_post(request)
    form = ApplicationForm(
        _data(request),
        call=call,
        organisations=organisations,
        steps=None if whole else ("overview",),
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = application_create(
                call=call,
                organisation=form.chosen_organisation(),
                by=request.user,
                content=form.content(),
                partner_ids=form.partner_ids() or (),
                funding=form.funding(),
            )
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            if whole:
                messages.success(
                    request, _("The draft is saved. Add the attachments, then submit it.")
                )
                return redirect("portal:application_step", pk=application.pk, step=ATTACHMENTS_STEP)
            messages.success(request, _("The draft is saved."))
            return redirect("portal:application_step", pk=application.pk, step=FORM_STEPS[1])
    if whole:
        return _render_whole_form(request, form, call, None)
    return _render_step(request, form, call, None, "overview")


def _editable_or_redirect(request: HttpRequest, application: Application) -> HttpResponse | None:
    if application.is_editable:
        return None
    messages.error(request, _("This application can no longer be changed."))
    return redirect("portal:application_detail", pk=application.pk)


def _save(request: HttpRequest, application: Application, form: ApplicationForm) -> None:
    """Raises the service's DomainError; saves nothing then."""
    application_update(
        application=application,
        by=request.user,
        content=form.content(),
        partner_ids=form.partner_ids(),
        funding=form.funding(),
    )


def _step_form(request: HttpRequest, application: Application, step: str | None) -> ApplicationForm:
    return ApplicationForm(
        _data(request),
        call=application.call,
        organisations=[application.organisation],
        application=application,
        steps=None if step is None else (step,),
    )


@applicant_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The old edit page: now step 1. A whole-form post is still validated and saved whole."""
    application = _own(request, pk)
    if (refused := _editable_or_redirect(request, application)) is not None:
        return refused
    if not _whole_form_post(request):
        return _step(request, application, FORM_STEPS[0])
    form = _step_form(request, application, None)
    if form.is_valid():
        try:
            _save(request, application, form)
        except Conflict as exc:
            report(request, exc)
            return redirect("portal:application_detail", pk=application.pk)
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("portal:application_detail", pk=application.pk)
    return _render_whole_form(request, form, application.call, application)


@applicant_required
def application_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of an existing draft (or returned application): shows it, saves it, moves on."""
    if step not in FORM_STEPS and step != ATTACHMENTS_STEP:
        raise Http404
    application = _own(request, pk)
    if (refused := _editable_or_redirect(request, application)) is not None:
        return refused
    if step == ATTACHMENTS_STEP:
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return _attachments_step(request, application)
    return _step(request, application, step)


def _step(request: HttpRequest, application: Application, step: str) -> HttpResponse:
    form = _step_form(request, application, step)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, application, form)
        except Conflict as exc:
            report(request, exc)
            return redirect("portal:application_detail", pk=application.pk)
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Your changes are saved."))
            going = request.POST.get("go")
            target = _neighbour(step, -1 if going == "previous" else 1)
            if target is None:
                target = step
            return redirect(_step_url(application, target))
    return _render_step(request, form, application.call, application, step)


def _attachments_step(
    request: HttpRequest, application: Application, attachment_form: AttachmentForm | None = None
) -> HttpResponse:
    context = {
        "application": application,
        "call": application.call,
        "attachments": application.attachments.all(),
        "attachment_form": attachment_form or AttachmentForm(),
        **_step_context(application, ATTACHMENTS_STEP),
    }
    return render(request, "portal/applicant/application_attachments.html", context)


@require_POST
def application_autosave(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """The htmx autosave of a content step: a status line, never a page.

    It saves through application_update like the step's own button (which audits only real
    changes); invalid values are listed and nothing is saved. Without htmx it refuses (400):
    the step's own Save button is the way to save then."""
    if step not in FORM_STEPS:
        raise Http404
    if request.htmx and not request.user.is_authenticated:
        # The session ended while the page stayed open: say so in the status line, rather than
        # swapping the login page into it.
        refused = _("You are no longer logged in, so this was not saved. Log in again, then save.")
        return render(request, "portal/applicant/_autosave_status.html", {"refused": refused})
    return _autosave(request, pk, step)


@applicant_required
def _autosave(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    application = _own(request, pk)
    if not request.htmx:
        return HttpResponseBadRequest(
            _("This address only saves the form automatically. Use the form's Save button.")
        )
    context: dict[str, Any] = {"application": application}
    if not application.is_editable:
        context["refused"] = _(
            "The application is “%(state)s” and can no longer be changed; "
            "your last changes were not saved."
        ) % {"state": application.get_state_display()}
        return render(request, "portal/applicant/_autosave_status.html", context)
    form = _step_form(request, application, step)
    if form.is_valid():
        try:
            _save(request, application, form)
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            context["saved_at"] = timezone.localtime()
    context["form"] = form
    return render(request, "portal/applicant/_autosave_status.html", context)


@applicant_required
def application_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """确认提交: everything that will be submitted, what still stands in the way, one button."""
    application = _own(request, pk)
    if (refused := _editable_or_redirect(request, application)) is not None:
        return refused
    problems = checklist_by_step(application, selectors.submission_checklist(application))
    funding = list(application.funding.all())
    context = {
        "application": application,
        "call": application.call,
        "attachments": application.attachments.all(),
        "problems": [
            (problem, _step_url(application, step) if step else "", STEP_LABELS.get(step, ""))
            for problem, step in problems
        ],
        "funding_total": sum((line.amount for line in funding), Decimal(0)),
        **_step_context(application, CONFIRM_STEP, problems),
    }
    return render(request, "portal/applicant/application_confirm.html", context)


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
    checklist = selectors.submission_checklist(application)
    context = {
        "application": application,
        "call": call,
        "latest_check": selectors.latest_formal_check(application),
        "checklist": checklist,
        "checklist_steps": [
            (problem, _step_url(application, step) if step else "", STEP_LABELS.get(step, ""))
            for problem, step in checklist_by_step(application, checklist)
        ],
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


def _back_from_attachments(request: HttpRequest, application: Application) -> HttpResponse:
    """Back to the attachments step when the form came from there, else to the detail page."""
    if request.POST.get("from") == ATTACHMENTS_STEP and application.is_editable:
        return redirect(_step_url(application, ATTACHMENTS_STEP))
    return redirect("portal:application_detail", pk=application.pk)


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
            return _back_from_attachments(request, application)
    # Re-read: the failed upload changed nothing, and the page shows the stored state.
    application = _own(request, pk)
    if request.POST.get("from") == ATTACHMENTS_STEP and application.is_editable:
        return _attachments_step(request, application, attachment_form=form)
    return _detail(request, application, attachment_form=form)


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
    return _back_from_attachments(request, application)


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


def _attachment_response(
    request: HttpRequest, pk: int, attachment_pk: int, *, inline: bool
) -> HttpResponse:
    """Stream a stored PDF to someone who may see its application (its applicant, its office,
    others per access.applications_visible_to): as a download, or inline for the browser."""
    application = get_object_or_404(access.applications_visible_to(request.user), pk=pk)
    attachment = get_object_or_404(application.attachments.all(), pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type="application/pdf",
    )
    # The file was checked to be a PDF on upload; never let a browser guess otherwise.
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@never_cache
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    return _attachment_response(request, pk, attachment_pk, inline=False)


@login_required
@never_cache
@xframe_options_sameorigin  # shown in the preview page's <iframe>, on this site only
def attachment_inline(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    return _attachment_response(request, pk, attachment_pk, inline=True)


@login_required
@never_cache
def attachment_preview(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A page showing the PDF in the browser, with a download link for browsers that cannot."""
    application = get_object_or_404(access.applications_visible_to(request.user), pk=pk)
    attachment = get_object_or_404(application.attachments.all(), pk=attachment_pk)
    if application.organisation_id in access.organisation_ids(request.user):
        back = reverse("portal:application_detail", args=[application.pk])
    elif access.office_ids(request.user, selectors.OFFICE_ROLES):
        back = reverse("portal:office_application_detail", args=[application.pk])
    else:
        back = ""
    context = {"application": application, "attachment": attachment, "back_url": back}
    return render(request, "portal/applicant/attachment_preview.html", context)
