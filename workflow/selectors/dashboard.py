"""The live review dashboard's snapshot: how far the scoring of one call has come.

Counts and flags only, never a mark or a total: the snapshot also travels over the dashboard's
socket (notifications/dashboard.py), and the office reads scores on the ranking page. Four
queries whatever the number of applications, experts and sheets: the rubric's dispersion
margin, the applications, the live sheets (with the totals fixed on them when submitted), and
the invitations still awaiting an answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

from workflow.choices import AssignmentState, InvitationState
from workflow.models import Application, Assignment, Call, Invitation, Rubric
from workflow.rules.scoring import dispersion_flags
from workflow.selectors.scoring import RANKED_STATES


@dataclass
class ApplicationProgress:
    application_id: int
    title: str
    organisation: str
    sheets: int = 0  # live sheets (not void)
    submitted: int = 0
    flagged: int = 0  # submitted sheets far from the panel mean (评分离散)
    unexplained: int = 0  # of those, without the expert's written explanation

    @property
    def complete(self) -> bool:
        return self.sheets > 0 and self.submitted == self.sheets


@dataclass
class ExpertProgress:
    expert_id: int
    name: str
    assigned: int = 0
    submitted: int = 0

    @property
    def complete(self) -> bool:
        return self.assigned > 0 and self.submitted == self.assigned


@dataclass
class ReviewProgress:
    call_id: int
    applications: list[ApplicationProgress] = field(default_factory=list)
    experts: list[ExpertProgress] = field(default_factory=list)
    awaiting_answer: int = 0  # invitations sent and not answered yet

    @property
    def sheets(self) -> int:
        return sum(a.sheets for a in self.applications)

    @property
    def submitted(self) -> int:
        return sum(a.submitted for a in self.applications)

    @property
    def flagged(self) -> int:
        return sum(a.flagged for a in self.applications)

    @property
    def unexplained(self) -> int:
        return sum(a.unexplained for a in self.applications)

    @property
    def complete(self) -> bool:
        return self.sheets > 0 and self.submitted == self.sheets and not self.awaiting_answer

    def as_message(self) -> dict[str, Any]:
        """The snapshot as the dashboard's socket sends it (JSON)."""
        return {
            "type": "snapshot",
            "call": self.call_id,
            "sheets": self.sheets,
            "submitted": self.submitted,
            "flagged": self.flagged,
            "unexplained": self.unexplained,
            "awaiting_answer": self.awaiting_answer,
            "complete": self.complete,
            "applications": [
                {
                    "id": a.application_id,
                    "title": a.title,
                    "organisation": a.organisation,
                    "sheets": a.sheets,
                    "submitted": a.submitted,
                    "flagged": a.flagged,
                    "unexplained": a.unexplained,
                    "complete": a.complete,
                }
                for a in self.applications
            ],
            "experts": [
                {
                    "id": e.expert_id,
                    "name": e.name,
                    "assigned": e.assigned,
                    "submitted": e.submitted,
                    "complete": e.complete,
                }
                for e in self.experts
            ],
        }


def review_progress(call: Call | int) -> ReviewProgress:
    """Sheets submitted per application and per expert, and the dispersion flags, of a call.

    The flags follow the ranking's rule (workflow.rules.scoring.dispersion_flags on the totals
    of the submitted sheets, against the rubric's margin), so the dashboard flags exactly the
    sheets whose written explanation the ranking will ask for.
    """
    call_id = call if isinstance(call, int) else call.pk
    margin = (
        Rubric.objects.filter(call_id=call_id).values_list("dispersion_margin", flat=True).first()
    )
    applications = {
        pk: ApplicationProgress(pk, title, organisation)
        for pk, title, organisation in Application.objects.filter(
            call_id=call_id, state__in=RANKED_STATES
        )
        .order_by("id")
        .values_list("id", "title", "organisation__name")
    }
    sheets = (
        Assignment.objects.filter(
            application__call_id=call_id, application__state__in=RANKED_STATES
        )
        .exclude(state=AssignmentState.VOID)
        .annotate(explained=~Q(explanation=""))
        .order_by("expert__name", "expert_id", "id")
        .values_list(
            "id", "application_id", "expert_id", "expert__name", "state", "total", "explained"
        )
    )
    experts: dict[int, ExpertProgress] = {}
    totals: dict[int, dict[int, Decimal]] = defaultdict(dict)  # application -> sheet -> total
    explained: set[int] = set()
    for pk, application_id, expert_id, name, state, total, has_explanation in sheets:
        application = applications.get(application_id)
        if application is None:  # its state changed between the two reads
            continue
        expert = experts.setdefault(expert_id, ExpertProgress(expert_id, name))
        application.sheets += 1
        expert.assigned += 1
        if state == AssignmentState.SUBMITTED:
            application.submitted += 1
            expert.submitted += 1
            if total is not None:
                totals[application_id][pk] = total
        if has_explanation:
            explained.add(pk)
    if margin is not None:
        for application_id, by_sheet in totals.items():
            flagged = dispersion_flags(by_sheet, margin)
            applications[application_id].flagged = len(flagged)
            applications[application_id].unexplained = len(flagged - explained)
    awaiting = Invitation.objects.filter(
        draw__call_id=call_id, state=InvitationState.INVITED
    ).count()
    return ReviewProgress(
        call_id=call_id,
        applications=list(applications.values()),
        experts=list(experts.values()),
        awaiting_answer=awaiting,
    )


__all__ = ["ApplicationProgress", "ExpertProgress", "ReviewProgress", "review_progress"]
