"""Reads for the public notice (公示) and the office's objection list."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from workflow import access
from workflow.choices import ApplicationState, CallState
from workflow.models import Application, Call, Objection


def proposed_winners() -> QuerySet[Application]:
    """The proposed winners. Public pages show only organisation and project title, never
    scores or experts; the FSM state field reads `state` on load, so no `.only()` here."""
    return (
        Application.objects.filter(state=ApplicationState.SHORTLISTED)
        .select_related("organisation")
        .order_by("organisation__name", "id")
    )


def calls_in_publicity(now: Any = None) -> QuerySet[Call]:
    """Calls whose notice is running, each with `winners` prefetched."""
    now = now or timezone.now()
    return (
        Call.objects.filter(
            state=CallState.PUBLICITY, publicity__starts_at__lte=now, publicity__ends_at__gte=now
        )
        .select_related("publicity", "office")
        .prefetch_related(Prefetch("applications", proposed_winners(), to_attr="winners"))
        .order_by("publicity__ends_at", "id")
    )


def objectionable_application(pk: int, now: Any = None) -> Application | None:
    """A proposed winner of a call whose notice is running, or None."""
    return (
        proposed_winners()
        .filter(pk=pk, call__in=calls_in_publicity(now).values("pk"))
        .select_related("call", "call__publicity")
        .first()
    )


def office_objections(user: Any) -> QuerySet[Objection]:
    return (
        Objection.objects.filter(application__call__in=access.calls_managed_by(user).values("pk"))
        .select_related("application__organisation", "application__call", "publicity")
        .order_by("state", "answer_due", "id")
    )
