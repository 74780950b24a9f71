"""Reads shaped for pages: querysets that already carry what their template touches.

Every list here is fetched in a constant number of queries whatever the number of rows
(select_related for the foreign keys a row shows, prefetch_related for its collections), so a
view never loops into the database. Visibility comes from workflow.access; the selectors only
narrow and shape it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from workflow import access
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import (
    Application,
    Attachment,
    AuditEvent,
    Call,
    FormalCheck,
    Membership,
    Organisation,
)
from workflow.rules.submission import submission_problems
from workflow.services.applications import application_content, call_terms

OFFICE_ROLES = (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR)

# The public sees a call from publication on; drafts are work in progress and a cancelled call
# was withdrawn by its office before anyone could rely on it.
PUBLIC_CALL_STATES = tuple(
    s for s in CallState.values if s not in {CallState.DRAFT, CallState.CANCELLED}
)


# Calls -------------------------------------------------------------------------------------


def public_calls() -> QuerySet[Call]:
    return Call.objects.filter(state__in=PUBLIC_CALL_STATES).select_related("office")


def open_calls(now: dt.datetime | None = None) -> QuerySet[Call]:
    now = now or timezone.now()
    return public_calls().filter(state=CallState.PUBLISHED, opens_at__lte=now, closes_at__gt=now)


def call_is_open(call: Call, now: dt.datetime | None = None) -> bool:
    """Whether to offer "apply" on the page; the service decides for real."""
    now = now or timezone.now()
    return call.state == CallState.PUBLISHED and call.opens_at <= now < call.closes_at


def office_calls(user) -> QuerySet[Call]:
    """The calls of the user's offices, with the counts their list shows."""
    return (
        access.calls_managed_by(user)
        .select_related("office")
        .annotate(
            n_applications=Count(
                "applications", filter=~Q(applications__state=ApplicationState.DRAFT)
            ),
            n_waiting=Count(
                "applications", filter=Q(applications__state=ApplicationState.SUBMITTED)
            ),
        )
        .order_by("-created_at", "-id")
    )


# Applications ------------------------------------------------------------------------------


def _latest_checks() -> Prefetch:
    return Prefetch(
        "formal_checks",
        queryset=FormalCheck.objects.order_by("-checked_at", "-id"),
        to_attr="checks_newest_first",
    )


def applicant_applications(user) -> QuerySet[Application]:
    """The applications of the user's own organisations (never another organisation's).

    The narrowing to the own organisations is a subquery of the same SELECT: the organisation
    ids were already read once for applications_visible_to, and a second read cost every
    applicant page one more round trip (benchmarks/crush.py)."""
    if not user.is_authenticated or not user.is_active:
        return Application.objects.none()
    own = Membership.objects.filter(
        user=user, role=Role.APPLICANT, organisation__isnull=False
    ).values("organisation_id")
    return (
        access.applications_visible_to(user)
        .filter(organisation_id__in=own)
        .select_related("call", "call__office", "organisation")
        .prefetch_related(_latest_checks())
        .order_by("-updated_at", "-id")
    )


def applicant_application_detail(user) -> QuerySet[Application]:
    """What the applicant's detail page needs: content, budget, partners, files, checks."""
    return applicant_applications(user).prefetch_related(
        "partners",
        "funding",
        Prefetch("attachments", queryset=Attachment.objects.order_by("kind", "uploaded_at")),
    )


def office_applications(user) -> QuerySet[Application]:
    """Non-draft applications to calls of the user's offices."""
    offices = access.office_ids(user, OFFICE_ROLES)
    return (
        access.applications_visible_to(user)
        .filter(call__office_id__in=offices)
        .exclude(state=ApplicationState.DRAFT)
        .select_related("call", "call__office", "organisation")
    )


def office_queue(
    user, *, state: str | None = ApplicationState.SUBMITTED, call: Call | None = None
) -> QuerySet[Application]:
    """The formal-check queue: oldest submission first, so nobody waits behind later arrivals."""
    qs = office_applications(user).annotate(n_attachments=Count("attachments"))
    if state:
        qs = qs.filter(state=state)
    if call is not None:
        qs = qs.filter(call=call)
    return qs.order_by("submitted_at", "id")


def office_application_detail(user) -> QuerySet[Application]:
    return office_applications(user).prefetch_related(
        "partners",
        "funding",
        Prefetch("attachments", queryset=Attachment.objects.order_by("kind", "uploaded_at")),
        _latest_checks(),
    )


def latest_formal_check(application: Application) -> FormalCheck | None:
    checks = getattr(application, "checks_newest_first", None)
    if checks is None:
        return application.formal_checks.order_by("-checked_at", "-id").first()
    return checks[0] if checks else None


def live_application_for(call: Call, organisation_ids: set[int]) -> Application | None:
    """The organisation's application to this call that is not withdrawn, if any."""
    if not organisation_ids:
        return None
    return (
        Application.objects.filter(call=call, organisation_id__in=organisation_ids)
        .exclude(state=ApplicationState.WITHDRAWN)
        .order_by("-created_at")
        .first()
    )


def submission_checklist(application: Application, now: dt.datetime | None = None) -> list[str]:
    """What still stands between an editable application and its submission, for display.

    The same rules the submit service applies; expects funding and attachments prefetched.
    """
    if not application.is_editable:
        return []
    correction_due = (
        application.correction_due if application.state == ApplicationState.RETURNED else None
    )
    return submission_problems(
        call_terms(application.call),
        application_content(application),
        now or timezone.now(),
        correction_due,
    )


# Organisations and people ------------------------------------------------------------------


def applicant_organisations(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=access.organisation_ids(user))


def partner_candidates(exclude_ids: set[int] | None = None) -> QuerySet[Organisation]:
    return Organisation.objects.exclude(pk__in=exclude_ids or set()).order_by("name")


def memberships_of(user) -> list[Membership]:
    """The user's roles with their units, for the page header."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("organisation", "office", "department")
    )


# Audit trail -------------------------------------------------------------------------------


def audit_history(obj) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("sequence")
