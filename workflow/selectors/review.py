"""Reads for the draw: the facts the recusal rules and the draw need, in a few bulk queries."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from workflow.choices import (
    ApplicationState,
    AvoidanceRequestState,
    DrawMode,
    DrawState,
    ExpertRelationKind,
    InvitationState,
    Role,
)
from workflow.models import (
    Application,
    AvoidanceRequest,
    Call,
    Draw,
    Expert,
    ExpertRelation,
    Invitation,
    Membership,
)
from workflow.rules.draw import PoolExpert
from workflow.rules.recusal import ApplicationFacts, ExpertFacts

REVIEWABLE = (ApplicationState.UNDER_REVIEW,)
NOT_CONTROL = (ExpertRelationKind.FORMER_EMPLOYER, ExpertRelationKind.KINSHIP)


def applications_to_review(call: Call) -> QuerySet[Application]:
    return (
        call.applications.filter(state__in=REVIEWABLE)
        .select_related("organisation")
        .prefetch_related("partners")
        .order_by("id")
    )


def active_experts() -> QuerySet[Expert]:
    return Expert.objects.filter(active=True, user__is_active=True).order_by("id")


def employer_key(expert: Expert) -> str:
    if expert.employer_id:
        return f"org:{expert.employer_id}"
    return f"name:{expert.employer_name.strip()}" if expert.employer_name.strip() else ""


def pool_snapshot(experts: list[Expert]) -> list[PoolExpert]:
    return [PoolExpert(e.id, employer_key(e), e.region, tuple(sorted(e.sectors))) for e in experts]


def declared_conflicts(call: Call) -> dict[int, set[int]]:
    """expert id -> application ids they declared a conflict with in this call's draws
    (a panel-mode declaration covers every application of the call)."""
    found: dict[int, set[int]] = defaultdict(set)
    all_ids = set(call.applications.values_list("id", flat=True))
    for expert_id, application_id in Invitation.objects.filter(
        draw__call=call, state=InvitationState.CONFLICT
    ).values_list("expert_id", "application_id"):
        found[expert_id] |= {application_id} if application_id else all_ids
    return found


def expert_facts(experts: list[Expert], call: Call) -> list[ExpertFacts]:
    ids = [e.id for e in experts]
    relations: dict[int, list[ExpertRelation]] = defaultdict(list)
    for r in ExpertRelation.objects.filter(expert_id__in=ids):
        relations[r.expert_id].append(r)
    offices: dict[int, set[int]] = defaultdict(set)
    departments: dict[int, set[int]] = defaultdict(set)
    for user_id, office_id, department_id in Membership.objects.filter(
        user_id__in=[e.user_id for e in experts],
        role__in=[Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR, Role.DEPARTMENT_APPROVER],
    ).values_list("user_id", "office_id", "department_id"):
        if office_id:
            offices[user_id].add(office_id)
        if department_id:
            departments[user_id].add(department_id)
    declared = declared_conflicts(call)
    facts = []
    for e in experts:
        rels = relations[e.id]
        facts.append(
            ExpertFacts(
                expert_id=e.id,
                employer_id=e.employer_id,
                former_employers=tuple(
                    (r.organisation_id, r.ended_on)
                    for r in rels
                    if r.kind == ExpertRelationKind.FORMER_EMPLOYER
                ),
                control_roles=tuple(
                    (r.organisation_id, r.kind)
                    for r in rels
                    if r.kind
                    not in (ExpertRelationKind.FORMER_EMPLOYER, ExpertRelationKind.KINSHIP)
                ),
                kin=tuple(
                    (r.organisation_id, r.person_name)
                    for r in rels
                    if r.kind == ExpertRelationKind.KINSHIP
                ),
                office_ids=frozenset(offices[e.user_id]),
                department_ids=frozenset(departments[e.user_id]),
                declared_conflicts=frozenset(declared.get(e.id, ())),
            )
        )
    return facts


def application_facts(call: Call, applications: list[Application]) -> list[ApplicationFacts]:
    parties = {a.id: {a.organisation_id} | {p.id for p in a.partners.all()} for a in applications}
    names = {a.organisation_id: a.organisation.name for a in applications}
    for a in applications:
        names.update({p.id: p.name for p in a.partners.all()})
    avoided: dict[int, set[int]] = defaultdict(set)
    for application_id, expert_id in AvoidanceRequest.objects.filter(
        application__call=call, state=AvoidanceRequestState.ACCEPTED
    ).values_list("application_id", "expert_id"):
        avoided[application_id].add(expert_id)
    department_ids = frozenset(call.office.departments.values_list("id", flat=True))
    call_parties = frozenset().union(*parties.values())
    return [
        ApplicationFacts(
            application_id=a.id,
            organisation_id=a.organisation_id,
            partner_ids=frozenset(parties[a.id] - {a.organisation_id}),
            legal_representative=a.organisation.legal_representative,
            project_lead=a.project_lead,
            avoided_expert_ids=frozenset(avoided[a.id]),
            office_id=call.office_id,
            department_ids=department_ids,
            call_party_ids=call_parties,
            names=names,
        )
        for a in applications
    ]


def live_draw(call: Call) -> Draw | None:
    return call.draws.exclude(state=DrawState.SUPERSEDED).order_by("-created_at", "-id").first()


def draw_invitations(draw: Draw) -> QuerySet[Invitation]:
    return draw.invitations.select_related(
        "expert", "expert__employer", "application__organisation"
    )


def expert_invitations(user) -> QuerySet[Invitation]:
    """The invitations an expert answers or holds; reserves are not shown until promoted."""
    return (
        Invitation.objects.filter(expert__user=user)
        .exclude(state=InvitationState.RESERVE)
        .select_related("draw__call", "application")
        .order_by("-invited_at", "-id")
    )


def is_panel(draw: Draw) -> bool:
    return draw.mode == DrawMode.PANEL


__all__ = [
    "active_experts",
    "application_facts",
    "applications_to_review",
    "declared_conflicts",
    "draw_invitations",
    "employer_key",
    "expert_facts",
    "expert_invitations",
    "is_panel",
    "live_draw",
    "pool_snapshot",
]
