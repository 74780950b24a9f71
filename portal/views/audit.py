"""审计留痕 pages for supervisors: the trail with filters, one event, and evidence bundles.

Supervisors (Role.SUPERVISOR) read everything here and change nothing; anyone else logged in
gets 403, anonymous users the login page. The list costs the same few queries whatever the
number of rows: each row is read from the event itself (the actor's name is stored on it).

Verifying the whole chain reads every event, so it runs when a supervisor asks (a POST with
the button) and the last result is kept in the cache for everyone's next page.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from workflow import access, evidence
from workflow.audit import HASHED_FIELDS, compute_hash, verify_database
from workflow.choices import Role
from workflow.models import Application, AuditEvent, ToleranceCase

from ..templatetags.portal_tags import AUDIT_ACTIONS
from .common import View, paginate

LAST_VERIFY_KEY = "portal:audit:last_verify"
LAST_VERIFY_SECONDS = 60 * 60 * 24 * 30
LIST_FIELDS = (
    "sequence",
    "created_at",
    "actor_name",
    "role",
    "action",
    "object_type",
    "object_id",
    "from_state",
    "to_state",
    "reason",
)
SPOOL_BYTES = 8 * 1024 * 1024
BUNDLE_OBJECTS = {"workflow.application": "application", "workflow.tolerancecase": "case"}


def supervisor_required(view: View) -> View:
    """Supervisors only; anyone else logged in gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.has_role(request.user, Role.SUPERVISOR):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
        help_text=_("An action code, or its beginning followed by * (e.g. application.*)."),
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Reason contains"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in Beijing time: the dates a reader types are local dates."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_events(events: QuerySet[AuditEvent], data: dict[str, Any]) -> QuerySet[AuditEvent]:
    action = (data.get("action") or "").strip()
    if action.endswith("*"):
        events = events.filter(action__startswith=action.rstrip("*"))
    elif action:
        events = events.filter(action=action)
    object_type = (data.get("object_type") or "").strip().lower()
    if object_type:
        # "application" is short for "workflow.application".
        suffix = object_type if "." in object_type else f".{object_type}"
        events = events.filter(Q(object_type=object_type) | Q(object_type__endswith=suffix))
    if object_id := (data.get("object_id") or "").strip():
        events = events.filter(object_id=object_id)
    if actor := (data.get("actor") or "").strip():
        events = events.filter(actor_name__iexact=actor)
    if start := data.get("date_from"):
        events = events.filter(created_at__gte=_day_start(start))
    if end := data.get("date_to"):
        events = events.filter(created_at__lt=_day_start(end + dt.timedelta(days=1)))
    if text := (data.get("q") or "").strip():
        events = events.filter(reason__icontains=text)
    return events


def _role_label(code: str) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code


def _bundle_url(object_type: str, object_id: str) -> str:
    kind = BUNDLE_OBJECTS.get(object_type)
    if kind is None or not object_id.isdigit():
        return ""
    return reverse("portal:audit_evidence_bundle", kwargs={"kind": kind, "pk": int(object_id)})


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {
        **values,
        "action_label": str(AUDIT_ACTIONS.get(values["action"], values["action"])),
        "role_label": _role_label(values["role"]),
        "bundle_url": _bundle_url(values["object_type"], values["object_id"]),
    }


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def last_verification() -> dict[str, Any] | None:
    return cache.get(LAST_VERIFY_KEY)


def run_verification(by: Any) -> dict[str, Any]:
    """Walk the whole chain now; keep and return the result."""
    started = time.perf_counter()
    chain = verify_database()
    result = {
        "ok": chain.ok,
        "verified": chain.verified,
        "broken_at": chain.broken_at,
        "problem": chain.problem,
        "head_hash": chain.head_hash,
        "at": timezone.now(),
        "by": by.get_username(),
        "seconds": round(time.perf_counter() - started, 3),
    }
    cache.set(LAST_VERIFY_KEY, result, LAST_VERIFY_SECONDS)
    return result


@supervisor_required
@require_http_methods(["GET", "HEAD"])
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.all()
    if form.is_bound and form.is_valid():
        events = filter_events(events, form.cleaned_data)
    elif form.is_bound:
        events = events.none()
    page = paginate(request, events.order_by("-sequence").values(*LIST_FIELDS))
    context = {
        "form": form,
        "page": page,
        "rows": [_row(values) for values in page.object_list],
        "query": _query_without_page(request),
        "verification": last_verification(),
        "actions": sorted(AUDIT_ACTIONS),
        "prefixes": sorted({f"{code.split('.')[0]}.*" for code in AUDIT_ACTIONS}),
    }
    return render(request, "portal/audit/list.html", context)


@require_POST
@supervisor_required
def audit_verify(request: HttpRequest) -> HttpResponse:
    """The verify button: walk the chain now, then show the trail with the result."""
    run_verification(request.user)
    query = request.POST.get("query", "")
    url = reverse("portal:audit_list")
    return redirect(f"{url}?{query}" if query else url)


@supervisor_required
def audit_detail(request: HttpRequest, sequence: int) -> HttpResponse:
    event = get_object_or_404(AuditEvent.objects.select_related("actor"), sequence=sequence)
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    neighbours = dict(
        AuditEvent.objects.filter(sequence__in=(sequence - 1, sequence + 1)).values_list(
            "sequence", "hash"
        )
    )
    previous_hash = neighbours.get(sequence - 1)
    context = {
        "event": event,
        "action_label": str(AUDIT_ACTIONS.get(event.action, event.action)),
        "role_label": _role_label(event.role),
        "diff_json": json.dumps(event.diff, ensure_ascii=False, indent=2, sort_keys=True),
        "hash_matches": compute_hash(fields) == event.hash,
        # The first event links to the genesis hash; any other to the event before it.
        "link_matches": (
            previous_hash == event.prev_hash
            if sequence > 1
            else event.prev_hash == "0" * len(event.prev_hash)
        ),
        "has_previous": sequence - 1 in neighbours,
        "has_next": sequence + 1 in neighbours,
        "bundle_url": _bundle_url(event.object_type, event.object_id),
    }
    return render(request, "portal/audit/detail.html", context)


@supervisor_required
def evidence_bundle(request: HttpRequest, kind: str, pk: str) -> HttpResponse:
    """The ZIP of an application's or a fault-tolerance case's record."""
    user, pk = request.user, int(pk)
    # Sealed objection letters carry the objector's identity: only for those who may read
    # them. Today that is every supervisor, the only role that reaches this view.
    letters = access.has_role(user, Role.SUPERVISOR)
    if kind == "application":
        item: Application | ToleranceCase = get_object_or_404(Application, pk=pk)
    else:  # the URL pattern allows "application" and "case" only
        item = get_object_or_404(ToleranceCase, pk=pk)
    # Up to a few MB in memory, larger bundles (many attachments) on disk.
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - FileResponse closes it
    try:
        evidence.build_bundle(out, item, by=user, letters=letters, action_labels=AUDIT_ACTIONS)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = FileResponse(
        out,
        as_attachment=True,
        filename=f"evidence-{kind}-{pk}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
