"""Expert pool pages (专家库) and avoidance requests (回避申请).

The pool is maintained by office staff of any office (see workflow.services.experts) and read
by office members; everyone else gets 403. Applicants file avoidance requests on their own
applications (another organisation's application is a 404); office members see the requests on
their own calls (another office's request is a 404) and its staff decide them.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jobs.kinds import EXPERT_EXPORT, EXPERT_IMPORT, check_expert_workbook
from jobs.services import job_enqueue
from workflow import access, selectors
from workflow.choices import AvoidanceRequestState, Role
from workflow.errors import Conflict, DomainError, NotPermitted
from workflow.models import Application, Expert
from workflow.services.avoidance import (
    AVOIDANCE_FILING_STATES,
    MAX_AVOIDANCE_REQUESTS,
    avoidance_request_accept,
    avoidance_request_file,
    avoidance_request_refuse,
)
from workflow.services.experts import (
    expert_activate,
    expert_create,
    expert_deactivate,
    expert_update,
    experts_export,
)

from ..forms_experts import (
    AvoidanceRequestForm,
    ExpertForm,
    ExpertImportForm,
    ExpertPoolFilterForm,
    ReasonForm,
)
from .common import (
    View,
    add_form_errors,
    applicant_required,
    office_required,
    paginate,
    report,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The pool's audit actions as the history table names them.
AUDIT_LABELS = {
    "expert.create": gettext_lazy("Added to the pool"),
    "expert.update": gettext_lazy("Details changed"),
    "expert.deactivate": gettext_lazy("Deactivated"),
    "expert.activate": gettext_lazy("Reactivated"),
}


def pool_staff_required(view: View) -> View:
    """Office staff of any office, who maintain the pool; anyone else logged in gets 403.
    Office directors may read the pool (list and detail) but not change or export it."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.office_ids(request.user, (Role.OFFICE_STAFF,)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The pool ---------------------------------------------------------------------------------


def _can_manage(request: HttpRequest) -> bool:
    return bool(access.office_ids(request.user, (Role.OFFICE_STAFF,)))


@office_required
def pool_list(request: HttpRequest) -> HttpResponse:
    form = ExpertPoolFilterForm(request.GET or None)
    page = paginate(request, selectors.expert_pool(**form.filters()))
    return render(
        request,
        "portal/experts/pool_list.html",
        {
            "form": form,
            "page": page,
            "experts": page.object_list,
            "query": _query_without_page(request),
            "can_manage": _can_manage(request),
        },
    )


def _detail_page(
    request: HttpRequest, expert: Expert, *, active_form: ReasonForm | None = None
) -> HttpResponse:
    history = [
        (event, AUDIT_LABELS.get(event.action, event.action))
        for event in selectors.audit_history(expert)
    ]
    context = {
        "expert": expert,
        "relations": expert.relations.all(),
        "history": history,
        "active_form": active_form or ReasonForm(required=False, prefix="active"),
        "can_manage": _can_manage(request),
    }
    return render(request, "portal/experts/expert_detail.html", context)


@office_required
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, get_object_or_404(selectors.expert_pool_detail(), pk=pk))


def _form_page(request: HttpRequest, expert: Expert | None) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ExpertForm(data, expert=expert)
    if request.method == "POST" and form.is_valid():
        try:
            if expert is None:
                expert = expert_create(entry=form.entry(), by=request.user)
                done = _("The expert is added to the pool.")
            else:
                expert_update(expert=expert, entry=form.entry(), by=request.user)
                done = _("Your changes are saved.")
        except DomainError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("portal:expert_pool_detail", pk=expert.pk)
    return render(request, "portal/experts/expert_form.html", {"form": form, "expert": expert})


@pool_staff_required
def pool_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@pool_staff_required
def pool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(selectors.expert_pool_detail(), pk=pk))


@pool_staff_required
@require_POST
def pool_set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    expert = get_object_or_404(selectors.expert_pool_detail(), pk=pk)
    form = ReasonForm(request.POST, required=False, prefix="active")
    if not form.is_valid():
        return _detail_page(request, expert, active_form=form)
    service = expert_activate if active else expert_deactivate
    try:
        service(expert=expert, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            _("The expert is back in the pool.")
            if active
            else _("The expert is deactivated and will not be drawn."),
        )
    return redirect("portal:expert_pool_detail", pk=expert.pk)


@pool_staff_required
def pool_import(request: HttpRequest) -> HttpResponse:
    """The upload is checked here (an .xlsx within the size limit, with the expert columns and
    at least one row); the import itself runs in the background and its progress page shows
    the report of every row."""
    posted = request.method == "POST"
    form = ExpertImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data["file"].read()
        try:
            check_expert_workbook(data)
            job = job_enqueue(kind=EXPERT_IMPORT, by=request.user, upload=data)
        except DomainError as exc:
            add_form_errors(form, exc, "file")
        else:
            return redirect("portal:job_detail", pk=job.pk)
    return render(request, "portal/experts/import.html", {"form": form})


@pool_staff_required
@never_cache
def pool_export(request: HttpRequest) -> HttpResponse:
    """POST (the button the pool page shows): the workbook is made in the background and the
    user follows its progress. GET: the workbook at once, for a small pool."""
    if request.method == "POST":
        try:
            job = job_enqueue(kind=EXPERT_EXPORT, by=request.user)
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:expert_pool")
        return redirect("portal:job_detail", pk=job.pk)
    data = experts_export(by=request.user)
    filename = f"专家库-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# Avoidance requests: the applicant --------------------------------------------------------


def _applicant_page(
    request: HttpRequest, application: Application, form: AvoidanceRequestForm | None = None
) -> HttpResponse:
    requests = selectors.avoidance_requests_of(application)
    can_file = (
        application.state in AVOIDANCE_FILING_STATES and len(requests) < MAX_AVOIDANCE_REQUESTS
    )
    context = {
        "application": application,
        "requests": requests,
        "can_file": can_file,
        # A refused form is shown with its errors even when no further request may be filed.
        "form": form or (AvoidanceRequestForm() if can_file else None),
        "max_requests": MAX_AVOIDANCE_REQUESTS,
        "filing_open": application.state in AVOIDANCE_FILING_STATES,
    }
    return render(request, "portal/experts/avoidance_applicant.html", context)


@applicant_required
def avoidance_requests(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.applicant_applications(request.user), pk=pk)
    if request.method != "POST":
        return _applicant_page(request, application)
    form = AvoidanceRequestForm(request.POST)
    if form.is_valid():
        try:
            avoidance_request_file(
                application=application,
                expert=form.cleaned_data["expert"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except (Conflict, NotPermitted) as exc:
            report(request, exc)
        except DomainError as exc:
            add_form_errors(form, exc)
            return _applicant_page(request, application, form)
        else:
            messages.success(request, _("Your avoidance request is sent to the office."))
        return redirect("portal:avoidance_requests", pk=application.pk)
    return _applicant_page(request, application, form)


# Avoidance requests: the office -----------------------------------------------------------

STATE_FILTERS = {
    "pending": AvoidanceRequestState.PENDING,
    "accepted": AvoidanceRequestState.ACCEPTED,
    "refused": AvoidanceRequestState.REFUSED,
    "all": None,
}


@office_required
def office_avoidance_list(request: HttpRequest) -> HttpResponse:
    shown = request.GET.get("state", "pending")
    if shown not in STATE_FILTERS:
        shown = "pending"
    qs = selectors.office_avoidance_requests(request.user, state=STATE_FILTERS[shown])
    page = paginate(request, qs)
    context = {
        "page": page,
        "requests": selectors.with_decision_reasons(page.object_list),
        "shown": shown,
        "filters": [
            ("pending", _("Pending")),
            ("accepted", _("Accepted")),
            ("refused", _("Refused")),
            ("all", _("All")),
        ],
        "query": _query_without_page(request),
        "decides_for": access.office_ids(request.user, (Role.OFFICE_STAFF,)),
        "pending": AvoidanceRequestState.PENDING,
    }
    return render(request, "portal/experts/avoidance_office.html", context)


DECISIONS = {
    "accept": (avoidance_request_accept, False, gettext_lazy("The request is accepted.")),
    "refuse": (avoidance_request_refuse, True, gettext_lazy("The request is refused.")),
}


@office_required
@require_POST
def office_avoidance_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in DECISIONS:
        raise Http404
    avoidance = get_object_or_404(selectors.office_avoidance_requests(request.user), pk=pk)
    service, reason_required, done = DECISIONS[decision]
    form = ReasonForm(request.POST, required=reason_required, prefix=f"decide-{avoidance.pk}")
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, error)
    else:
        try:
            service(request=avoidance, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            report(request, exc)
        else:
            messages.success(request, str(done))
    return redirect("portal:office_avoidance_list")
