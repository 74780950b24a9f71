"""The office's side of the review: the ranking and its confirmation, the Excel exports, the
verification of quantitative values and veto facts, and the rubric's settings.

Only members of an office get in (403 otherwise); a call of another office is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflow import access, exports, selectors
from workflow.choices import ApplicationState, CallState
from workflow.errors import Conflict, DomainError, Invalid, NotPermitted
from workflow.models import Call, Rubric
from workflow.rules.scoring import TIE_BREAK_RULES
from workflow.services.ranking import (
    ranking_compute,
    shortlist_confirm,
)
from workflow.services.rubrics import rubric_create_from_template, rubric_update_settings
from workflow.services.scoring import (
    declared_value,
    values_verify,
)

from ..forms_scoring import (
    ConfirmShortlistForm,
    RubricSettingsForm,
    TemplateChoiceForm,
    VerifiedValuesForm,
)
from .common import add_form_errors, office_required, report


def _call(request: HttpRequest, call_pk: int) -> Call:
    return get_object_or_404(selectors.review_calls(request.user), pk=call_pk)


def _ranking_or_none(call: Call):
    try:
        return ranking_compute(call=call)
    except Invalid:  # no rubric yet
        return None


@office_required
def ranking(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    result = _ranking_or_none(call)
    rows = []
    if result is not None:
        rows = [(row, result.tie_break_label(row)) for row in result.rows]
    can_confirm = (
        result is not None
        and call.state == CallState.UNDER_REVIEW
        and any(r.application_state == ApplicationState.UNDER_REVIEW for r in result.rows)
    )
    return render(
        request,
        "portal/ranking/ranking.html",
        {
            "call": call,
            "ranking": result,
            "rows": rows,
            "rules": TIE_BREAK_RULES,
            "can_confirm": can_confirm,
            "confirm_form": ConfirmShortlistForm(),
        },
    )


@office_required
@require_POST
def ranking_confirm(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    form = ConfirmShortlistForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long."))
        return redirect("portal:office_ranking", call_pk=call.pk)
    try:
        shortlist_confirm(call=call, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The shortlist is confirmed."))
    return redirect("portal:office_ranking", call_pk=call.pk)


def _xlsx(content: bytes, call: Call, kind: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="call-{call.pk}-{kind}-{stamp}.xlsx"'
    return response


@office_required
def export_public(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    result = _ranking_or_none(call)
    if result is None:
        messages.error(request, _("This call has no rubric yet."))
        return redirect("portal:office_ranking", call_pk=call.pk)
    return _xlsx(exports.ranking_public_workbook(result), call, "ranking-public")


@office_required
def export_sheets(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    result = _ranking_or_none(call)
    if result is None:
        messages.error(request, _("This call has no rubric yet."))
        return redirect("portal:office_ranking", call_pk=call.pk)
    sheets = selectors.call_score_sheets(call)
    return _xlsx(exports.score_sheets_workbook(result, sheets), call, "score-sheets")


# Verified values -------------------------------------------------------------------------


@office_required
def values_overview(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    tree = selectors.call_rubric_tree(call)
    return render(
        request,
        "portal/ranking/values_overview.html",
        {
            "call": call,
            "tree": tree,
            "n_verifiable": len(tree.verifiable) if tree else 0,
            "applications": selectors.verification_overview(call, tree),
        },
    )


@office_required
def values_verify_view(request: HttpRequest, call_pk: int, application_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    application = get_object_or_404(
        selectors.verification_overview(call, None).select_related("call"), pk=application_pk
    )
    tree = selectors.call_rubric_tree(call)
    if tree is None:
        messages.error(request, _("This call has no rubric yet."))
        return redirect("portal:office_ranking_settings", call_pk=call.pk)
    declared = {i.code: declared_value(application, i) for i in tree.verifiable}
    existing = selectors.verified_values(application)
    kwargs = {"tree": tree, "declared": declared, "existing": existing}
    form = VerifiedValuesForm(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            values_verify(application=application, by=request.user, values=form.values())
        except (Conflict, NotPermitted) as exc:
            report(request, exc)
            return redirect(
                "portal:office_values_verify", call_pk=call.pk, application_pk=application.pk
            )
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("The values are verified."))
            return redirect("portal:office_values", call_pk=call.pk)
    return render(
        request,
        "portal/ranking/values_form.html",
        {
            "call": call,
            "application": application,
            "form": form,
            "editable": application.state in selectors.VERIFIABLE_STATES,
        },
    )


# The rubric ------------------------------------------------------------------------------


@office_required
def rubric_settings(request: HttpRequest, call_pk: int) -> HttpResponse:
    """Choose the call's rubric from the templates, then set how it aggregates and what counts
    as an unusual mark; both are frozen once scoring begins."""
    call = _call(request, call_pk)
    rubric = Rubric.objects.filter(call=call).first()
    template_form = TemplateChoiceForm(request.POST or None) if rubric is None else None
    settings_form = None
    if rubric is not None:
        settings_form = RubricSettingsForm(
            request.POST or None, initial=RubricSettingsForm.initial_from(rubric)
        )
    if request.method == "POST":
        form = template_form or settings_form
        if form.is_valid():
            try:
                if rubric is None:
                    rubric_create_from_template(
                        template=form.cleaned_data["template"], call=call, by=request.user
                    )
                else:
                    rubric_update_settings(rubric=rubric, by=request.user, **form.cleaned_data)
            except (Conflict, NotPermitted) as exc:
                report(request, exc)
                return redirect("portal:office_ranking_settings", call_pk=call.pk)
            except DomainError as exc:
                add_form_errors(form, exc)
            else:
                messages.success(request, _("The rubric is saved."))
                return redirect("portal:office_ranking_settings", call_pk=call.pk)
    tree = selectors.rubric_tree(rubric) if rubric else None
    return render(
        request,
        "portal/ranking/rubric_settings.html",
        {
            "call": call,
            "rubric": rubric,
            "tree": tree,
            "template_form": template_form,
            "settings_form": settings_form,
        },
    )


@office_required
def export_register(request: HttpRequest, call_pk: int) -> HttpResponse:
    """申报登记表 of a call: every application that is not a draft, at any stage of the call."""
    call = get_object_or_404(access.calls_managed_by(request.user), pk=call_pk)
    applications = (
        call.applications.exclude(state=ApplicationState.DRAFT)
        .select_related("organisation")
        .prefetch_related("funding")
        .order_by("submitted_at", "pk")
    )
    return _xlsx(exports.application_register_workbook(call, applications), call, "register")
