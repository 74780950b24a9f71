"""Reads for the expert pool (专家库) and avoidance requests (回避申请).

Each list costs a constant number of queries whatever its length. Who may see the pool is decided
by the views (office staff); these functions only shape what they show.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Prefetch, Q, QuerySet

from workflow import access
from workflow.choices import AvoidanceRequestState, Role
from workflow.models import (
    Application,
    AuditEvent,
    AvoidanceRequest,
    Call,
    Expert,
    ExpertRelation,
)

__all__ = [
    "accepted_avoidance_expert_ids",
    "avoidance_candidates",
    "avoidance_requests_of",
    "expert_pool",
    "expert_pool_detail",
    "expert_region_options",
    "expert_sector_options",
    "office_avoidance_requests",
    "pending_avoidance_requests",
    "with_decision_reasons",
]

_OFFICE_ROLES = (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR)


# The pool ---------------------------------------------------------------------------------


def expert_pool(
    *, q: str = "", sector: str = "", region: str = "", active: bool | None = None
) -> QuerySet[Expert]:
    """The pool list, filtered; each row carries its employer and number of declared relations."""
    qs = Expert.objects.select_related("employer").annotate(n_relations=Count("relations"))
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(employer_name__icontains=q)
            | Q(employer__name__icontains=q)
            | Q(title__icontains=q)
            | Q(phone__icontains=q)
        )
    if sector:
        # JSON containment is not portable (SQLite lacks it): find the ids in one pass instead.
        ids = [
            pk for pk, sectors in Expert.objects.values_list("pk", "sectors") if sector in sectors
        ]
        qs = qs.filter(pk__in=ids)
    if region:
        qs = qs.filter(region=region)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("id")


def expert_sector_options() -> list[str]:
    found: dict[str, None] = {}
    for sectors in Expert.objects.values_list("sectors", flat=True):
        for sector in sectors or ():
            found.setdefault(sector, None)
    return sorted(found)


def expert_region_options() -> list[str]:
    return list(Expert.objects.order_by("region").values_list("region", flat=True).distinct())


def expert_pool_detail() -> QuerySet[Expert]:
    return Expert.objects.select_related("employer", "user").prefetch_related(
        Prefetch(
            "relations",
            queryset=ExpertRelation.objects.select_related("organisation").order_by("kind", "id"),
        )
    )


# Avoidance requests -----------------------------------------------------------------------


def avoidance_candidates() -> QuerySet[Expert]:
    """The experts an applicant may name: the active pool. Pool names are not secret; only a
    drawn panel is, until the result is published (招标投标法 第三十七条)."""
    return Expert.objects.filter(active=True).only("id", "name", "employer_name").order_by("id")


def with_decision_reasons(requests: Iterable[AvoidanceRequest]) -> list[AvoidanceRequest]:
    """Attach `decision_reason`: the office's reason, kept in the audit trail, in one query."""
    requests = list(requests)
    decided = [r for r in requests if r.state != AvoidanceRequestState.PENDING]
    reasons: dict[str, str] = {}
    if decided:
        events = AuditEvent.objects.filter(
            object_type=AvoidanceRequest._meta.label_lower,
            object_id__in=[str(r.pk) for r in decided],
            action__in=["avoidancerequest.accept", "avoidancerequest.refuse"],
        ).order_by("sequence")
        reasons = dict(events.values_list("object_id", "reason"))
    for request in requests:
        request.decision_reason = reasons.get(str(request.pk), "")
    return requests


def avoidance_requests_of(application: Application) -> list[AvoidanceRequest]:
    return with_decision_reasons(
        AvoidanceRequest.objects.filter(application=application)
        .select_related("expert")
        .order_by("created_at", "id")
    )


def office_avoidance_requests(user, *, state: str | None = None) -> QuerySet[AvoidanceRequest]:
    """Requests on applications to the calls of the user's offices, oldest first."""
    qs = AvoidanceRequest.objects.filter(
        application__call__office_id__in=access.office_ids(user, _OFFICE_ROLES)
    ).select_related("expert", "application", "application__organisation", "application__call")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("created_at", "id")


def accepted_avoidance_expert_ids(application: Application) -> set[int]:
    """Experts the office agreed this application may avoid (recusal rule 5)."""
    return set(
        AvoidanceRequest.objects.filter(
            application=application, state=AvoidanceRequestState.ACCEPTED
        ).values_list("expert_id", flat=True)
    )


def pending_avoidance_requests(call: Call) -> QuerySet[AvoidanceRequest]:
    """Undecided requests of a call: decide them before drawing the experts."""
    return AvoidanceRequest.objects.filter(
        application__call=call, state=AvoidanceRequestState.PENDING
    )
