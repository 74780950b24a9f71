"""Long operations: their progress page, the list of one's own, the download of a result, and
the buttons that start the batch certificates and the ranking exports.

A job is its owner's alone: anyone else (staff of the same office included) gets a 404, and
anonymous visitors are sent to the login page. The progress page polls itself with htmx every
second and is told to stop (HTTP 286) once the job has finished; without JavaScript its
"Refresh" link does the same (no meta refresh: the Content-Security-Policy forbids it).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jobs import kinds, registry
from jobs.models import Job, JobState
from jobs.services import job_enqueue
from workflow import access, selectors
from workflow.errors import DomainError

from .common import office_required, paginate, report

# htmx stops polling an element when the response has this status.
STOP_POLLING = 286


def own_jobs(request: HttpRequest):
    return Job.objects.filter(owner=request.user)


def _context(job: Job) -> dict:
    spec = registry.get(job.kind)
    back = spec.back(job.params) if spec and spec.back else None
    return {
        "job": job,
        "label": spec.label if spec else job.kind,
        "back": back,
        "queued": job.state == JobState.QUEUED,
        "done": job.state == JobState.DONE,
        "failed": job.state == JobState.FAILED,
        "import_report": job.report if job.kind == kinds.EXPERT_IMPORT and job.report else None,
        "problems": job.report.get("problems", []) if job.state == JobState.FAILED else [],
    }


@login_required
@never_cache
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(own_jobs(request), pk=pk)
    context = _context(job)
    if request.htmx:
        status = STOP_POLLING if job.finished else 200
        return render(request, "portal/jobs/_progress.html", context, status=status)
    return render(request, "portal/jobs/job_detail.html", context)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, own_jobs(request).order_by("-created_at", "-pk"))
    rows = []
    for job in page.object_list:
        spec = registry.get(job.kind)
        rows.append((job, spec.label if spec else job.kind))
    return render(request, "portal/jobs/job_list.html", {"page": page, "rows": rows})


@login_required
@never_cache
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(own_jobs(request), pk=pk)
    if job.state != JobState.DONE or not job.result:
        raise Http404
    try:
        handle = job.result.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=_content_type(job.result_name))
    response["Content-Disposition"] = content_disposition_header(
        True, job.result_name or f"job-{job.pk}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _content_type(name: str) -> str:
    if name.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if name.endswith(".zip"):
        return "application/zip"
    return "application/octet-stream"


def start(request: HttpRequest, kind: str, params: dict, fallback: str) -> HttpResponse:
    """Queue a job for the user and show its progress; a refusal goes back to `fallback`."""
    try:
        job = job_enqueue(kind=kind, by=request.user, params=params)
    except DomainError as exc:
        report(request, exc)
        return redirect(fallback)
    return redirect("portal:job_detail", pk=job.pk)


def _office_param(request: HttpRequest) -> int:
    """The office a certificate batch is for: one the user is staff or director of (404
    otherwise, as for any object of another office)."""
    try:
        office = int(request.POST.get("office", ""))
    except ValueError:
        raise Http404 from None
    if office not in access.office_ids(request.user, kinds.CERTIFICATE_ROLES):
        raise Http404
    return office


@office_required
@require_POST
def certificates_start(request: HttpRequest) -> HttpResponse:
    params = {"office": _office_param(request)}
    return start(request, kinds.CERTIFICATES, params, reverse("portal:office_acceptance_list"))


@office_required
@require_POST
def ranking_export_start(request: HttpRequest, call_pk: int, variant: str) -> HttpResponse:
    if variant not in kinds.RANKING_VARIANTS:
        raise Http404
    call = get_object_or_404(selectors.review_calls(request.user), pk=call_pk)
    params = {"call": call.pk, "variant": variant}
    return start(
        request, kinds.RANKING_EXPORT, params, reverse("portal:office_ranking", args=[call.pk])
    )


@office_required
@require_POST
def register_export_start(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = get_object_or_404(access.calls_managed_by(request.user), pk=call_pk)
    fallback = reverse("portal:office_call_detail", args=[call.pk])
    return start(request, kinds.REGISTER_EXPORT, {"call": call.pk}, fallback)
