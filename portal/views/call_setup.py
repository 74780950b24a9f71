"""Setting up a call (issue 6): office staff draft a call from a starting point (blank or an
earlier call of their office, with a rubric template), change its terms while it is a draft,
and edit its rubric (评分细则) until scoring begins.

Writes go through workflow.services.calls and workflow.services.rubrics, the same services the
admin uses. Only office staff write: the office director reads the rubric (read-only page) and
gets 403 on the writing pages; a call of another office is a 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from workflow import access
from workflow.choices import CallState, IndicatorKind, Role
from workflow.errors import DomainError, Invalid
from workflow.models import Call, Office, Rubric
from workflow.rules.rubric import IndicatorSpec, depth_first
from workflow.services.calls import call_create_from_template, call_update
from workflow.services.rubrics import (
    EDITABLE_CALL_STATES,
    rubric_create,
    rubric_is_frozen,
    rubric_set_indicators,
    rubric_update_settings,
    specs_of,
)

from ..forms_calls import (
    CallTermsForm,
    IndicatorFormSet,
    IndicatorRowForm,
    NewCallForm,
    RubricNameForm,
    StartingPointForm,
    copy_terms,
    terms_of,
)
from .common import View, add_form_errors, office_required, report

ADD_ROWS = 5
EARLIER_RUBRICS_SHOWN = 100


def _staff_offices(user: Any) -> set[int]:
    return access.office_ids(user, (Role.OFFICE_STAFF,))


def staff_required(view: View) -> View:
    """Office staff only (they write calls); directors and everyone else logged in get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _staff_offices(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _staff_calls(user: Any) -> QuerySet[Call]:
    return Call.objects.filter(office_id__in=_staff_offices(user)).select_related("office")


# New call and its terms ----------------------------------------------------------------------


def _rubric_sources(user: Any) -> list[Rubric]:
    """The templates, and the rubrics of the user's offices' latest calls (two queries)."""
    templates = Rubric.objects.filter(call__isnull=True).order_by("name")
    earlier = (
        Rubric.objects.filter(call__office_id__in=_staff_offices(user))
        .select_related("call")
        .order_by("-call__opens_at", "-call_id")[:EARLIER_RUBRICS_SHOWN]
    )
    return [*templates, *earlier]


@staff_required
def call_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    offices = Office.objects.filter(pk__in=_staff_offices(user)).order_by("name")
    earlier = _staff_calls(user).order_by("-opens_at", "-id")
    start = StartingPointForm(request.GET or None, calls=earlier)
    rubrics = _rubric_sources(user)
    kwargs: dict[str, Any] = {"offices": offices, "rubrics": rubrics}
    if request.method == "POST":
        form = NewCallForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                call = call_create_from_template(
                    office=form.cleaned_data["office"],
                    by=user,
                    terms=form.terms(),
                    **form.rubric_source(),
                )
            except Invalid as exc:
                add_form_errors(form, exc)
            except DomainError as exc:
                report(request, exc)
            else:
                messages.success(request, _("The draft call is saved."))
                return redirect("portal:office_call_detail", pk=call.pk)
    else:
        initial: dict[str, Any] = {}
        source = start.cleaned_data.get("copy_from") if start.is_valid() else None
        if source is not None:
            initial = {**copy_terms(source), "office": source.office_id}
            if hasattr(source, "rubric"):
                initial["rubric"] = f"rubric:{source.rubric.pk}"
        form = NewCallForm(initial=initial, **kwargs)
    return render(
        request,
        "portal/calls/call_new.html",
        {"form": form, "start": start, "has_earlier": earlier.exists()},
    )


@staff_required
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(_staff_calls(request.user), pk=pk)
    if call.state != CallState.DRAFT:
        messages.error(
            request,
            _("Only a draft call's terms can be changed; this call is “%(state)s”.")
            % {"state": call.get_state_display()},
        )
        return redirect("portal:office_call_detail", pk=call.pk)
    if request.method == "POST":
        form = CallTermsForm(request.POST, initial=terms_of(call))
        if form.is_valid():
            try:
                call_update(call=call, by=request.user, terms=form.terms(call))
            except Invalid as exc:
                add_form_errors(form, exc)
            except DomainError as exc:
                report(request, exc)
                return redirect("portal:office_call_detail", pk=call.pk)
            else:
                messages.success(request, _("The call's terms are saved."))
                return redirect("portal:office_call_detail", pk=call.pk)
    else:
        form = CallTermsForm(initial=terms_of(call))
    return render(request, "portal/calls/call_edit.html", {"call": call, "form": form})


# The rubric ----------------------------------------------------------------------------------


def weight_totals(specs: Sequence[IndicatorSpec]) -> dict[str, Any]:
    """Totals per level and of the scoring rows (those without sub-indicators), as the editor's
    footer shows them; rubric_editor.js counts the same while the user types."""
    parents = {s.parent for s in specs if s.parent}
    levels = {level: Decimal(0) for level in (1, 2, 3)}
    leaves = Decimal(0)
    for spec in specs:
        weight = Decimal(spec.weight or 0)
        if spec.level in levels:
            levels[spec.level] += weight
        if spec.code not in parents:
            leaves += weight
    return {"levels": sorted(levels.items()), "leaves": leaves, "complete": leaves == 100}


def rubric_rows(specs: Sequence[IndicatorSpec]) -> list[dict[str, Any]]:
    """The read-only table's rows, depth first, with the kind's label for scoring rows."""
    parents = {s.parent for s in specs if s.parent}
    return [
        {"spec": s, "leaf": s.code not in parents, "kind": _kind_label(s.kind)}
        for s in depth_first(specs)
    ]


def _kind_label(kind: str) -> str:
    try:
        return str(IndicatorKind(kind).label)
    except ValueError:
        return kind


def _rubric_editable(call: Call, rubric: Rubric | None) -> bool:
    if rubric is not None:
        return not rubric_is_frozen(rubric)
    return call.state in EDITABLE_CALL_STATES


@office_required
def rubric_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The call's rubric, read-only: for the director, and for staff once it is frozen."""
    call = get_object_or_404(access.calls_managed_by(request.user).select_related("office"), pk=pk)
    rubric = Rubric.objects.filter(call=call).first()
    specs = specs_of(rubric) if rubric else []
    can_edit = call.office_id in _staff_offices(request.user) and _rubric_editable(call, rubric)
    return render(
        request,
        "portal/calls/rubric_view.html",
        {
            "call": call,
            "rubric": rubric,
            "rows": rubric_rows(specs),
            "totals": weight_totals(specs),
            "can_edit": can_edit,
        },
    )


def _problem_rows(forms: Sequence[Any], problems: Sequence[str]) -> dict[int, list[str]]:
    """Which row each problem is about: the row whose “code …” the message names first (the
    messages name the indicator, and a parent only after it)."""
    found: dict[int, list[str]] = {}
    codes = {}
    for index, form in enumerate(forms):
        data = getattr(form, "cleaned_data", None) or {}
        code = data.get("code")
        if code and not data.get("DELETE") and code not in codes:
            codes[code] = index
    for problem in problems:
        hits = []
        for code, index in codes.items():
            for mark in (f"“{code} ", f"“{code}”"):
                at = problem.find(mark)
                if at >= 0:
                    hits.append((at, index))
        if hits:
            found.setdefault(min(hits)[1], []).append(problem)
    return found


def _posted_specs(formset: Any) -> list[IndicatorSpec]:
    """The rows that parsed, for the totals shown beside the errors."""
    specs = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("DELETE") or data.get("weight") is None or not data.get("level"):
            continue
        specs.append(
            IndicatorSpec(
                code=data.get("code") or f"#{id(form)}",
                name="",
                level=data["level"],
                weight=data["weight"],
                parent=data.get("parent") or None,
            )
        )
    return specs


@staff_required
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(_staff_calls(request.user), pk=pk)
    rubric = Rubric.objects.filter(call=call).first()
    if not _rubric_editable(call, rubric):
        messages.error(
            request, _("Scoring has begun on this call, so its rubric can no longer be changed.")
        )
        return redirect("portal:office_rubric", pk=call.pk)
    default_name = rubric.name if rubric else _("Rubric: %(title)s") % {"title": call.title}
    summary: DomainError | None = None
    row_problems: dict[int, list[str]] = {}
    show_errors = True
    if request.method == "POST":
        data = request.POST
        if "add_rows" in data:
            # Without JavaScript, "add rows" posts the table back with more blank rows.
            data = data.copy()
            try:
                total = int(data.get("form-TOTAL_FORMS", "0"))
            except ValueError:
                total = 0
            data["form-TOTAL_FORMS"] = str(max(0, min(total, IndicatorFormSet.max_num)) + ADD_ROWS)
            show_errors = False
        name_form = RubricNameForm(data)
        formset = IndicatorFormSet(data)
        valid = all([name_form.is_valid(), formset.is_valid()])  # both, for their errors
        if show_errors and valid:
            specs = formset.specs()
            try:
                _save_rubric(call, rubric, name_form.cleaned_data["name"], specs, request.user)
            except Invalid as exc:
                summary = exc
                row_problems = _problem_rows(formset.forms, exc.problems)
            except DomainError as exc:
                report(request, exc)
                return redirect("portal:office_rubric", pk=call.pk)
            else:
                messages.success(request, _("The rubric is saved."))
                return redirect("portal:office_rubric", pk=call.pk)
        totals = weight_totals(_posted_specs(formset))
    else:
        specs = depth_first(specs_of(rubric)) if rubric else []
        name_form = RubricNameForm(initial={"name": default_name})
        formset = IndicatorFormSet(initial=[IndicatorRowForm.initial_of(s) for s in specs])
        totals = weight_totals(specs)
    return render(
        request,
        "portal/calls/rubric_edit.html",
        {
            "call": call,
            "rubric": rubric,
            "name_form": name_form,
            "formset": formset,
            "rows": [(form, row_problems.get(i, [])) for i, form in enumerate(formset.forms)],
            "summary": summary,
            "show_errors": show_errors,
            "totals": totals,
        },
    )


def _save_rubric(
    call: Call, rubric: Rubric | None, name: str, specs: list[IndicatorSpec], by: Any
) -> None:
    """The tree, and the name if it changed, in one transaction (nothing saved if invalid)."""
    with transaction.atomic():
        if rubric is None:
            rubric_create(name=name, specs=specs, by=by, call=call)
            return
        rubric_set_indicators(rubric=rubric, by=by, specs=specs)
        if name.strip() != rubric.name:
            rubric_update_settings(rubric=rubric, by=by, name=name)
