"""The baseline of benchmarks/crush.py: bare Django views doing the same writes as the
applicant's portal pages, without the workflow.

No FSM (the state is set by an UPDATE), no audit event, no role or organisation check beyond
being logged in, no notifications, no flows, no row lock, no form classes or step templates.
What stays is what any Django site would do for the same inserts: login_required, CSRF, and
the same PDF content check on the upload (workflow.rules.uploads.check_pdf), so the ratio
measures the workflow, not pypdf. Served only by benchmarks.crush_settings; never in the
project's own URLs.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_POST

from workflow.choices import ApplicationState
from workflow.models import Application, Attachment
from workflow.rules.uploads import BadUpload, check_pdf


def _page(request: HttpRequest, title: str, body: str) -> HttpResponse:
    token = escape(get_token(request))
    return HttpResponse(
        f"<!doctype html><title>{escape(title)}</title><form method=post>"
        f"<input type=hidden name=csrfmiddlewaretoken value={token}>{body}"
        "<button>OK</button></form>"
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = Application.objects.get(pk=pk)
    if request.method == "POST":
        application.plan = request.POST.get("plan", "")
        application.save(update_fields=["plan", "updated_at"])
        return redirect("bare_confirm", pk=pk)
    return _page(
        request,
        application.title,
        f"<textarea name=plan>{escape(application.plan)}</textarea>",
    )


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = Application.objects.get(pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        return HttpResponseBadRequest("no file")
    try:
        checked = check_pdf(upload, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    except BadUpload as exc:
        return HttpResponseBadRequest(str(exc))
    upload.seek(0)
    attachment = Attachment(
        application=application,
        kind=request.POST.get("kind", ""),
        original_name=upload.name[-255:],
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=request.user,
    )
    attachment.file.save("upload.pdf", ContentFile(upload.read()), save=False)
    attachment.save()
    return redirect("bare_confirm", pk=pk)


@login_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    application = Application.objects.get(pk=pk)
    names = "".join(f"<li>{escape(a.original_name)}" for a in application.attachments.all())
    return _page(request, application.title, f"<ul>{names}</ul>")


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    Application.objects.filter(pk=pk).update(
        state=ApplicationState.SUBMITTED, submitted_at=timezone.now()
    )
    return redirect("bare_confirm", pk=pk)
