"""Score sheets (评分表): the expert's list and form, and the office's view and reopening.

An expert reaches a sheet only with the object permission ``workflow.score_assignment`` on it
(django-guardian, granted when the invitation is accepted) and only if it is their own; any
other user gets 404, so nobody learns which sheets exist. Blind review: the page shows other
experts' totals only once the panel's draw is closed, anonymised (专家1..n).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflow import access, selectors
from workflow.choices import ApplicationState, AssignmentState, Role
from workflow.errors import Conflict, DomainError, NotPermitted
from workflow.models import Assignment, Expert
from workflow.rules.scoring import dispersion_flags, panel_mean
from workflow.services.scoring import (
    OPEN_STATES,
    declared_value,
    score_sheet_explain,
    score_sheet_reopen,
    score_sheet_save_draft,
    score_sheet_submit,
)

from ..forms_scoring import ExplanationForm, ReopenForm, ScoreSheetForm
from .common import View, add_form_errors, office_required, paginate, report

SUBMIT, SAVE = "submit", "save"


# What the sheet's history shows for each recorded action.
SHEET_ACTIONS = {
    "score_sheet.save": gettext_lazy("Marks saved"),
    "score_sheet.explain": gettext_lazy("Explanation written"),
    "assignment.submit": gettext_lazy("Submitted"),
    "assignment.reopen": gettext_lazy("Reopened by the office"),
    "assignment.void": gettext_lazy("Void (expert replaced)"),
}


def expert_required(view: View) -> View:
    """Members of the expert pool only; anyone else logged in gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not Expert.objects.filter(user=request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _own_sheet(request: HttpRequest, pk: int) -> Assignment:
    assignment = get_object_or_404(selectors.expert_assignments(request.user), pk=pk)
    if not request.user.has_perm(selectors.SCORE_PERMISSION, assignment):
        raise Http404
    return assignment


@expert_required
def assignment_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.expert_assignments(request.user))
    return render(
        request,
        "portal/scoring/assignment_list.html",
        {"page": page, "assignments": page.object_list, "states": AssignmentState},
    )


def _sheet_page(
    request: HttpRequest,
    assignment: Assignment,
    *,
    form: ScoreSheetForm | None = None,
    explanation_form: ExplanationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    application = assignment.application
    tree = selectors.call_rubric_tree(application.call)
    saved = selectors.sheet_scores(assignment)
    editable = (
        assignment.state in OPEN_STATES and application.state == ApplicationState.UNDER_REVIEW
    )
    context: dict[str, Any] = {
        "assignment": assignment,
        "application": application,
        "call": application.call,
        "tree": tree,
        "editable": editable,
        "states": AssignmentState,
    }
    if tree is not None:
        form = form or ScoreSheetForm(tree=tree, initial=ScoreSheetForm.initial_from(saved))
        declared = {i.code: declared_value(application, i) for i in tree.verifiable}
        context.update(
            form=form,
            rows=form.rows(saved, declared),
            total=form.running_total(),
            rubric=tree.rubric,
            low_percent=tree.rubric.abnormal_low_ratio * 100,
            high_percent=tree.rubric.abnormal_high_ratio * 100,
        )
    panel = selectors.panel_totals(assignment)  # None until the panel is closed
    if panel is not None and assignment.state == AssignmentState.SUBMITTED:
        totals = {p.label: p.total for p in panel}
        own = next((p for p in panel if p.is_own), None)
        flagged = own is not None and own.label in dispersion_flags(
            totals, tree.rubric.dispersion_margin if tree else 0
        )
        context.update(
            panel=panel,
            panel_mean=panel_mean(totals.values()) if totals else None,
            flagged=flagged,
        )
    context["can_explain"] = (
        assignment.state == AssignmentState.SUBMITTED
        and application.state == ApplicationState.UNDER_REVIEW
    )
    context["explanation_form"] = explanation_form or ExplanationForm(
        initial={"explanation": assignment.explanation}
    )
    return render(request, "portal/scoring/sheet.html", context, status=status)


@expert_required
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form. POST: save as draft, or save and submit (action=submit)."""
    assignment = _own_sheet(request, pk)
    if request.method != "POST":
        return _sheet_page(request, assignment)
    tree = selectors.call_rubric_tree(assignment.application.call)
    if tree is None:
        raise Http404
    submitting = request.POST.get("action") == SUBMIT
    form = ScoreSheetForm(request.POST, tree=tree, submitting=submitting)
    if not form.is_valid():
        return _sheet_page(request, assignment, form=form)
    service = score_sheet_submit if submitting else score_sheet_save_draft
    try:
        service(assignment=assignment, by=request.user, marks=form.marks())
    except (Conflict, NotPermitted) as exc:
        report(request, exc)
        return redirect("portal:expert_sheet", pk=assignment.pk)
    except DomainError as exc:
        add_form_errors(form, exc)
        return _sheet_page(request, assignment, form=form)
    if submitting:
        messages.success(request, _("The score sheet is submitted and locked."))
    else:
        messages.success(request, _("The draft is saved."))
    return redirect("portal:expert_sheet", pk=assignment.pk)


@expert_required
@require_POST
def sheet_explain(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _own_sheet(request, pk)
    form = ExplanationForm(request.POST)
    if form.is_valid():
        try:
            score_sheet_explain(
                assignment=assignment,
                by=request.user,
                explanation=form.cleaned_data["explanation"],
            )
        except (Conflict, NotPermitted) as exc:
            report(request, exc)
        except DomainError as exc:
            add_form_errors(form, exc)
            return _sheet_page(request, assignment, explanation_form=form)
        else:
            messages.success(request, _("Your explanation is recorded."))
        return redirect("portal:expert_sheet", pk=assignment.pk)
    return _sheet_page(request, assignment, explanation_form=form)


# The office's side -----------------------------------------------------------------------


def _office_sheet_page(
    request: HttpRequest, assignment: Assignment, *, reopen_form: ReopenForm | None = None
) -> HttpResponse:
    application = assignment.application
    tree = selectors.call_rubric_tree(application.call)
    # The office sees the marks once submitted, not while the expert is still at work.
    shown = assignment.state == AssignmentState.SUBMITTED
    saved = selectors.sheet_scores(assignment) if shown else {}
    rows = []
    if tree is not None:
        rows = [(i, tree.is_leaf(i), saved.get(i.pk)) for i in tree.indicators]
    history = [
        (event, SHEET_ACTIONS.get(event.action, event.action))
        for event in selectors.audit_history(assignment)
    ]
    is_staff = application.call.office_id in access.office_ids(request.user, (Role.OFFICE_STAFF,))
    context = {
        "assignment": assignment,
        "application": application,
        "call": application.call,
        "tree": tree,
        "rows": rows,
        "marks_shown": shown,
        "total": sum((s.value for s in saved.values()), 0),
        "can_reopen": is_staff
        and assignment.state == AssignmentState.SUBMITTED
        and application.state == ApplicationState.UNDER_REVIEW,
        "reopen_form": reopen_form or ReopenForm(),
        "history": history,
        "states": AssignmentState,
    }
    return render(request, "portal/scoring/office_sheet.html", context)


@office_required
def office_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(selectors.office_sheets(request.user), pk=pk)
    return _office_sheet_page(request, assignment)


@office_required
@require_POST
def office_sheet_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(selectors.office_sheets(request.user), pk=pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            score_sheet_reopen(
                assignment=assignment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except (Conflict, NotPermitted) as exc:
            report(request, exc)
        except DomainError as exc:
            add_form_errors(form, exc)
            return _office_sheet_page(request, assignment, reopen_form=form)
        else:
            messages.success(request, _("The score sheet is reopened; the expert can change it."))
        return redirect("portal:office_sheet", pk=assignment.pk)
    return _office_sheet_page(request, assignment, reopen_form=form)
