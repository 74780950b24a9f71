"""意见记录: every written opinion or reason about an item, read from the audit trail.

The audit trail (workflow.models.audit) is the one record of who decided what and why, so the
history is read from it rather than from the objects' current fields, which later decisions
overwrite (a second formal check replaces nothing in the trail).

- For a Call: the departments' countersign opinions, the director's decisions on the call's
  applications, the answers to objections, and reasons given on the call itself.
- For an Application: its formal checks, returns, approvals and other decisions with a reason,
  and the reasons written on its task agreement, acceptance reviews, objections, plaque,
  performance reviews and fault-tolerance cases.

Only events with a non-empty reason, or an "opinion" in their diff, are opinions. The whole
history is one query, however many events and related objects there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from workflow.choices import Role
from workflow.models import (
    Acceptance,
    Agreement,
    Application,
    AuditEvent,
    Award,
    Call,
    Countersign,
    CountersignRound,
    Objection,
    PerformanceReview,
    ToleranceCase,
)

# What each recorded decision is, to a reader. Unknown actions show their code.
ACTION_LABELS: dict[str, Any] = {
    "countersign.agree": _("Agreed"),
    "countersign.disagree": _("Disagreed"),
    "application.accept": _("Passed the formal check"),
    "application.return_for_correction": _("Returned for correction"),
    "application.reject": _("Rejected"),
    "application.withdraw": _("Withdrawn"),
    "application.shortlist": _("Shortlisted"),
    "application.not_select": _("Not selected"),
    "application.approve": _("Approved"),
    "application.not_approve": _("Not approved"),
    "application.fail_acceptance": _("Failed the acceptance review"),
    "application.terminate": _("Project terminated"),
    "application.revoke": _("Plaque revoked"),
    "call.cancel": _("Call cancelled"),
    "objection.uphold": _("Objection upheld"),
    "objection.dismiss": _("Objection dismissed"),
    "agreement.return_to_office": _("Task agreement returned to the office"),
    "acceptance.pass_": _("Passed the acceptance review"),
    "acceptance.fail": _("Failed the acceptance review"),
    "award.revoke": _("Plaque revoked"),
    "performancereview.evaluate": _("Performance evaluated"),
    "performancereview.verify_rectification": _("Rectification verified"),
    "tolerancecase.request": _("Fault tolerance requested"),
    "tolerancecase.decide": _("Fault tolerance decided"),
    "tolerancecase.verify": _("Correction verified"),
    "tolerancecase.reject_correction": _("Correction sent back"),
}

# The director's decisions on a call's applications, shown in the call's history.
DIRECTOR_DECISIONS = ("application.approve", "application.not_approve")
# Filing an objection is the objector's statement, not a decision: only the answers count.
OBJECTION_ANSWERS = ("objection.uphold", "objection.dismiss")
# One decision written on two objects (acceptance.fail and application.fail_acceptance,
# award.revoke and application.revoke): rows next to each other in the trail, by the same
# person, with the same text, about objects of different types, a moment apart, are shown once.
SAME_DECISION = dt.timedelta(seconds=1)
SAME_DECISION_ROWS = 3


@dataclass(frozen=True)
class Opinion:
    """One decision with its written opinion or reason."""

    sequence: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    to_state: str
    text: str
    # The department of a countersign, or the applicant an application's decision is about.
    subject: str = ""

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def role_label(self) -> str:
        try:
            return str(Role(self.role).label)
        except ValueError:
            return self.role

    @property
    def is_countersign(self) -> bool:
        return self.action.startswith("countersign.")


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _ids(queryset: QuerySet) -> QuerySet:
    """The primary keys as text, the way AuditEvent.object_id stores them."""
    return queryset.annotate(_object_id=Cast("pk", output_field=CharField())).values("_object_id")


def _about(model: type[models.Model], queryset: QuerySet, **extra: Any) -> Q:
    return Q(object_type=_label(model), object_id__in=_ids(queryset), **extra)


def _column(queryset: QuerySet, field: str) -> Subquery:
    """`field` of the row the event is about (one row, matched on the text primary key)."""
    return Subquery(
        queryset.annotate(_object_id=Cast("pk", output_field=CharField()))
        .filter(_object_id=OuterRef("object_id"))
        .values(field)[:1],
        output_field=CharField(),
    )


def _call_events(call: Call) -> QuerySet[AuditEvent]:
    applications = Application.objects.filter(call=call)
    countersigns = Countersign.objects.filter(round__call=call)
    objections = Objection.objects.filter(application__call=call)
    condition = (
        Q(object_type=_label(Call), object_id=str(call.pk))
        | _about(Countersign, countersigns)
        | _about(CountersignRound, CountersignRound.objects.filter(call=call))
        | _about(Objection, objections, action__in=OBJECTION_ANSWERS)
        | _about(Application, applications, action__in=DIRECTOR_DECISIONS)
    )
    subject = Case(
        When(
            object_type=_label(Countersign),
            then=_column(countersigns, "department__name"),
        ),
        When(
            object_type=_label(Application),
            then=_column(applications, "organisation__name"),
        ),
        When(
            object_type=_label(Objection),
            then=_column(objections, "application__organisation__name"),
        ),
        default=Value(""),
        output_field=CharField(),
    )
    return AuditEvent.objects.filter(condition).annotate(subject=subject)


def _application_events(application: Application) -> QuerySet[AuditEvent]:
    own = {"application_id": application.pk}
    condition = (
        Q(object_type=_label(Application), object_id=str(application.pk))
        | _about(Agreement, Agreement.objects.filter(**own))
        | _about(Acceptance, Acceptance.objects.filter(**own))
        | _about(Objection, Objection.objects.filter(**own), action__in=OBJECTION_ANSWERS)
        | _about(Award, Award.objects.filter(**own))
        | _about(
            PerformanceReview, PerformanceReview.objects.filter(award__application=application)
        )
        | _about(ToleranceCase, ToleranceCase.objects.filter(**own))
    )
    return AuditEvent.objects.filter(condition).annotate(subject=Value(""))


def _same_decision(last: AuditEvent, last_text: str, event: AuditEvent, text: str) -> bool:
    return (
        event.object_type != last.object_type
        and event.actor_id == last.actor_id
        and last_text == text
        and event.sequence - last.sequence <= SAME_DECISION_ROWS
        and event.created_at - last.created_at < SAME_DECISION
    )


def opinion_history(obj: Call | Application) -> list[Opinion]:
    """Every decision with a written opinion or reason about `obj`, oldest first; one query."""
    if isinstance(obj, Call):
        events = _call_events(obj)
    elif isinstance(obj, Application):
        events = _application_events(obj)
    else:
        raise TypeError(f"no opinion history for {type(obj).__name__}")
    events = (
        events.filter(~Q(reason="") | Q(diff__has_key="opinion"))
        .select_related("actor")
        .order_by("sequence")
    )
    opinions: list[Opinion] = []
    last: tuple[AuditEvent, str] | None = None
    for event in events:
        opinion = event.diff.get("opinion") if isinstance(event.diff, dict) else None
        text = (event.reason or (opinion if isinstance(opinion, str) else "")).strip()
        if not text:
            continue
        if last is not None and _same_decision(*last, event, text):
            continue
        last = (event, text)
        actor = event.actor
        name = (actor.get_full_name() if actor else "") or event.actor_name
        opinions.append(
            Opinion(
                sequence=event.sequence,
                at=event.created_at,
                actor=name,
                role=event.role,
                action=event.action,
                to_state=event.to_state,
                text=text,
                subject=event.subject or "",
            )
        )
    return opinions
