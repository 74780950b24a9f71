"""The status timeline an applicant sees on their application page (issue 6).

Only state changes the organisation may see: the application's own transitions, plus the
organisation's return of a task agreement and the office's fault-tolerance decisions, each
with its reason. Never events of assignments, score sheets, draws or invitations, and never
the diff (which can hold scores or expert ids); the template shows the role, not the actor.
"""

from __future__ import annotations

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from workflow.models import Agreement, Application, AuditEvent, ToleranceCase

# Transitions of the application itself (workflow.models.Application), recorded as
# "application.<transition>". Creation and content edits are not state changes.
APPLICATION_ACTIONS = (
    "application.submit",
    "application.withdraw",
    "application.accept",
    "application.return_for_correction",
    "application.reject",
    "application.start_review",
    "application.finish_review",
    "application.shortlist",
    "application.not_select",
    "application.approve",
    "application.not_approve",
    "application.start_construction",
    "application.declare_complete",
    "application.fail_acceptance",
    "application.award",
    "application.terminate",
    "application.revoke",
)
AGREEMENT_ACTIONS = ("agreement.return_to_office",)
TOLERANCE_ACTIONS = ("tolerancecase.decide",)

# An application has a few dozen state changes at most; the bound keeps the page safe.
TIMELINE_LIMIT = 200


def _ids(queryset: QuerySet) -> QuerySet:
    """Primary keys as text, as AuditEvent.object_id stores them (a subquery, not a query)."""
    return queryset.annotate(sid=Cast("pk", CharField())).values("sid")


def application_timeline(application: Application) -> list[AuditEvent]:
    """Oldest first: the applicant-visible state changes of `application`, in one query."""
    own = Q(
        object_type="workflow.application",
        object_id=str(application.pk),
        action__in=APPLICATION_ACTIONS,
    )
    agreement = Q(
        object_type="workflow.agreement",
        object_id__in=_ids(Agreement.objects.filter(application=application)),
        action__in=AGREEMENT_ACTIONS,
    )
    tolerance = Q(
        object_type="workflow.tolerancecase",
        object_id__in=_ids(ToleranceCase.objects.filter(application=application)),
        action__in=TOLERANCE_ACTIONS,
    )
    return list(
        AuditEvent.objects.filter(own | agreement | tolerance)
        .only("sequence", "created_at", "role", "action", "to_state", "reason")
        .order_by("sequence")[:TIMELINE_LIMIT]
    )
