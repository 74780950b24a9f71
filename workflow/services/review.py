"""专家抽取与邀请: configure and perform a draw, answer invitations, promote alternates.

The draw commits to its seed before drawing: transaction 1 snapshots the pool and the
exclusions, writes the seed's SHA-256 to the audit trail and keeps the seed only in memory;
transaction 2 draws and reveals the seed in the audit trail. Nobody, the office included, can
see the seed before the inputs are fixed, or pick an expert (招标投标法实施条例 第四十六条).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import notify, review_changed
from workflow import access, audit
from workflow.choices import (
    AssignmentState,
    CallState,
    DrawMode,
    DrawState,
    InvitationState,
    Role,
)
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Assignment, Call, Draw, Invitation
from workflow.rules import draw as rules
from workflow.rules.recusal import excluded_pairs
from workflow.selectors import review as facts
from workflow.services.base import apply_transition, clean_reason, lock

SCORE = "workflow.score_assignment"
VIEW_APPLICATION = "workflow.view_application"


def draw_rules(draw: Draw) -> rules.DrawRules:
    return rules.DrawRules(
        mode=draw.mode,
        panel_size=draw.panel_size,
        experts_per_application=draw.experts_per_application,
        load_cap=draw.load_cap,
        required_sectors=tuple(draw.required_sectors),
        cap_per_employer=draw.cap_per_employer,
        cap_per_region=draw.cap_per_region,
        alternates=draw.alternates,
    )


def _require_live_stage(call: Call) -> None:
    if call.state != CallState.UNDER_REVIEW:
        raise Conflict(
            _("Experts are drawn while the call is under review; it is “%(state)s”.")
            % {"state": call.get_state_display()}
        )


def draw_configure(*, call: Call, by: Any, **settings: Any) -> Draw:
    """Set up a draw for a call: mode, sizes, caps, sectors, alternates."""
    fields = {
        "mode": settings.get("mode", DrawMode.PANEL),
        "panel_size": settings.get("panel_size", 5),
        "experts_per_application": settings.get("experts_per_application", 3),
        "load_cap": settings.get("load_cap", 3),
        "required_sectors": sorted(set(settings.get("required_sectors") or [])),
        "cap_per_employer": settings.get("cap_per_employer"),
        "cap_per_region": settings.get("cap_per_region"),
        "alternates": settings.get("alternates", 2),
        "review_due": settings.get("review_due"),
    }
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        _require_live_stage(call)
        if facts.live_draw(call) is not None:
            raise Conflict(
                _("This call already has a draw; a new one needs a redraw with a reason.")
            )
        draw = Draw(call=call, created_by=by, **fields)
        problems = rules.rule_problems(draw_rules(draw))
        if problems:
            raise Invalid(_("The draw settings are not valid."), problems)
        draw.save()
        audit.record(
            action="draw.configure", obj=draw, by=by, role=role, to_state=draw.state, diff=fields
        )
    return draw


def _snapshot(draw: Draw) -> dict:
    """The recorded inputs: the pool, the applications and every exclusion with its reason."""
    call = draw.call
    experts = list(facts.active_experts())
    applications = list(facts.applications_to_review(call))
    today = timezone.localdate()
    found = excluded_pairs(
        facts.expert_facts(experts, call), facts.application_facts(call, applications), today
    )
    d = draw_rules(draw)
    return {
        "rules": {**d.__dict__, "required_sectors": list(d.required_sectors)},
        "pool": [
            [e.id, e.employer, e.region, list(e.sectors)] for e in facts.pool_snapshot(experts)
        ],
        "applications": [a.id for a in applications],
        "excluded": {str(app): sorted(by_expert) for app, by_expert in sorted(found.items())},
        "exclusions": {
            str(app): {
                str(expert): [[x.rule, x.code, x.fact] for x in hits]
                for expert, hits in sorted(by_expert.items())
            }
            for app, by_expert in sorted(found.items())
        },
        "date": today.isoformat(),
    }


def draw_perform(*, draw: Draw, by: Any) -> Draw:
    """Commit, draw, reveal; then invite the drawn experts. Raises Invalid when the rules cannot
    be met (the seed is revealed all the same and the draw is set aside)."""
    seed = secrets.token_hex(32)
    with transaction.atomic():
        draw = lock(draw)
        role = access.require_office(by, draw.call)
        _require_live_stage(draw.call)
        draw.inputs = _snapshot(draw)
        if not draw.inputs["applications"]:
            raise Invalid(_("No application of this call is under review."))
        draw.inputs_digest = audit.digest(draw.inputs)
        draw.seed_commitment = hashlib.sha256(seed.encode()).hexdigest()
        apply_transition(
            draw,
            "commit",
            by=by,
            role=role,
            diff={
                "seed_commitment": draw.seed_commitment,
                "inputs_digest": draw.inputs_digest,
                "pool_size": len(draw.inputs["pool"]),
                "applications": len(draw.inputs["applications"]),
            },
            update_fields=("inputs", "inputs_digest", "seed_commitment"),
        )
    # The inputs and the commitment are now committed; only then is the seed used.
    try:
        result = rules.run(seed, draw.inputs)
    except rules.DrawImpossible as exc:
        with transaction.atomic():
            draw = lock(draw)
            draw.seed = seed
            apply_transition(
                draw,
                "supersede",
                by=by,
                role=role,
                reason="; ".join(exc.reasons),
                diff={"seed": seed},
                update_fields=("seed",),
            )
        raise Invalid(_("The experts cannot be drawn under these rules."), exc.reasons) from exc
    with transaction.atomic():
        draw = lock(draw)
        draw.seed, draw.result, draw.drawn_at = seed, result, timezone.now()
        apply_transition(
            draw,
            "reveal",
            by=by,
            role=role,
            diff={"seed": seed, "result_digest": audit.digest(result)},
            update_fields=("seed", "result", "drawn_at"),
        )
        _create_invitations(draw, by)
    return draw


def _create_invitations(draw: Draw, by: Any) -> None:
    result = draw.result
    if draw.mode == DrawMode.PANEL:
        places = [(None, result["members"], result["alternates"])]
    else:
        alternates = dict((app, ids) for app, ids in result["alternates"])
        places = [(app, ids, alternates.get(app, [])) for app, ids in result["assignments"]]
    rows = []
    for app, members, spares in places:
        for position, expert_id in enumerate([*members, *spares], start=1):
            rows.append(
                Invitation(
                    draw=draw,
                    expert_id=expert_id,
                    application_id=app,
                    position=position,
                    is_alternate=position > len(members),
                )
            )
    Invitation.objects.bulk_create(rows)
    now = timezone.now()
    for invitation in draw.invitations.filter(is_alternate=False).order_by("id"):
        invitation.invited_at = now
        apply_transition(
            invitation, "invite", by=by, role=Role.OFFICE_STAFF, update_fields=("invited_at",)
        )
    notify(Kind.EXPERT_INVITED, recipients.invited_experts(draw.pk), draw)
    review_changed(draw.call_id)  # the dashboard counts the answers awaited


def _require_invitee(invitation: Invitation, by: Any) -> None:
    if not by.is_authenticated or invitation.expert.user_id != by.pk:
        raise NotPermitted(_("This invitation is not addressed to you."))


def invitation_accept(*, invitation: Invitation, by: Any, declaration: str) -> Invitation:
    """Accept and sign the no-conflict declaration; the expert's assignments open."""
    _require_invitee(invitation, by)
    declaration = clean_reason(declaration, required=True)
    with transaction.atomic():
        invitation = lock(invitation)
        if invitation.draw.state != DrawState.DRAWN:
            raise Conflict(_("This draw is no longer open."))
        invitation.declaration, invitation.answered_at = declaration, timezone.now()
        apply_transition(
            invitation,
            "accept",
            by=by,
            role=Role.EXPERT,
            reason=declaration,
            update_fields=("declaration", "answered_at"),
        )
        if invitation.application_id:
            applications = [invitation.application]
        else:
            applications = list(facts.applications_to_review(invitation.draw.call))
        for application in applications:
            assignment = Assignment.objects.create(
                invitation=invitation, expert=invitation.expert, application=application
            )
            assign_perm(SCORE, by, assignment)
            assign_perm(VIEW_APPLICATION, by, application)
        review_changed(invitation.draw.call_id)
    return invitation


def invitation_decline(*, invitation: Invitation, by: Any, reason: str) -> Invitation:
    _require_invitee(invitation, by)
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        invitation = lock(invitation)
        invitation.reason, invitation.answered_at = reason, timezone.now()
        apply_transition(
            invitation,
            "decline",
            by=by,
            role=Role.EXPERT,
            reason=reason,
            update_fields=("reason", "answered_at"),
        )
        notify(
            Kind.OFFICE_INVITATION_DECLINED,
            recipients.office_staff_of(invitation.draw.call.office_id),
            invitation,
            reason=reason,
        )
        promote_alternate(invitation)
        review_changed(invitation.draw.call_id)  # an alternate is now awaited
    return invitation


def invitation_withdraw_for_conflict(*, invitation: Invitation, by: Any, reason: str) -> Invitation:
    """A conflict found late, declared by the expert or established by the office: the expert
    leaves, their scores on the affected applications become void (招标投标法实施条例 第四十八条),
    and the next alternate is invited."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        invitation = lock(invitation)
        if by.is_authenticated and invitation.expert.user_id == by.pk:
            role = Role.EXPERT
        else:
            role = access.require_office(by, invitation.draw.call)
        invitation.reason = reason
        apply_transition(
            invitation,
            "withdraw_for_conflict",
            by=by,
            role=role,
            reason=reason,
            update_fields=("reason",),
        )
        if role == Role.EXPERT:
            told, kind = (
                recipients.office_staff_of(invitation.draw.call.office_id),
                Kind.OFFICE_EXPERT_CONFLICT,
            )
        else:
            told, kind = recipients.expert_users(invitation.expert_id), Kind.EXPERT_WITHDRAWN
        notify(kind, told, invitation, reason=reason)
        _void_assignments(invitation, by, role, reason)
        promote_alternate(invitation)
        review_changed(invitation.draw.call_id)
    return invitation


def _void_assignments(invitation: Invitation, by: Any, role: str, reason: str) -> None:
    user = invitation.expert.user
    for assignment in invitation.assignments.exclude(state=AssignmentState.VOID):
        assignment = lock(assignment)
        apply_transition(assignment, "void", by=by, role=role, reason=reason)
        remove_perm(SCORE, user, assignment)
        remove_perm(VIEW_APPLICATION, user, assignment.application)


def promote_alternate(vacated: Invitation) -> Invitation | None:
    """Invite the first reserve alternate of the same place that keeps the draw's rules
    (caps in panel mode, the load cap per expert in correspondence mode). Audited as a system
    action; returns None, audited too, when no alternate fits."""
    draw = vacated.draw
    d = draw_rules(draw)
    pool = {e[0]: rules.PoolExpert(e[0], e[1], e[2], tuple(e[3])) for e in draw.inputs["pool"]}
    live = (InvitationState.INVITED, InvitationState.ACCEPTED)
    place = draw.invitations.filter(application_id=vacated.application_id)
    seated = [pool[i] for i in place.filter(state__in=live).values_list("expert_id", flat=True)]
    for reserve in place.filter(state=InvitationState.RESERVE).order_by("position"):
        expert = pool[reserve.expert_id]
        if draw.mode == DrawMode.PANEL and not rules._fits(expert, seated, d):
            continue
        load = draw.invitations.filter(expert_id=expert.id, state__in=live).count()
        if draw.mode == DrawMode.PER_APPLICATION and load >= d.load_cap:
            continue
        reserve = lock(reserve)
        reserve.invited_at = timezone.now()
        apply_transition(
            reserve,
            "invite",
            by=None,
            role="system",
            reason=_("Replaces an expert who left the panel (invitation %(id)s).")
            % {"id": vacated.pk},
            update_fields=("invited_at",),
        )
        notify(Kind.EXPERT_INVITED, recipients.expert_users(reserve.expert_id), draw)
        return reserve
    audit.record(
        action="draw.short",
        obj=draw,
        by=None,
        role="system",
        from_state=draw.state,
        to_state=draw.state,
        reason=_("No alternate fits; the office may redraw."),
        diff={"vacated_invitation": vacated.pk, "application": vacated.application_id},
    )
    notify(Kind.OFFICE_DRAW_SHORT, recipients.office_staff_of(draw.call.office_id), draw)
    return None


def draw_redraw(*, draw: Draw, by: Any, reason: str) -> Draw:
    """Set a draw aside with a written reason and draw again with the same settings."""
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        draw = lock(draw)
        role = access.require_office(by, draw.call)
        for invitation in draw.invitations.exclude(
            state__in=[
                InvitationState.DECLINED,
                InvitationState.CONFLICT,
                InvitationState.SUPERSEDED,
            ]
        ):
            invitation = lock(invitation)
            apply_transition(invitation, "supersede", by=by, role=role, reason=reason)
            _void_assignments(invitation, by, role, reason)
        apply_transition(draw, "supersede", by=by, role=role, reason=reason)
        settings = {
            name: getattr(draw, name)
            for name in (
                "mode",
                "panel_size",
                "experts_per_application",
                "load_cap",
                "required_sectors",
                "cap_per_employer",
                "cap_per_region",
                "alternates",
                "review_due",
            )
        }
        fresh = Draw.objects.create(
            call=draw.call, created_by=by, replaces=draw, redraw_reason=reason, **settings
        )
        audit.record(
            action="draw.configure",
            obj=fresh,
            by=by,
            role=role,
            to_state=fresh.state,
            reason=reason,
            diff={**settings, "replaces": draw.pk},
        )
        review_changed(draw.call_id)  # the old panel's sheets are void
    return draw_perform(draw=fresh, by=by)


def draw_close(*, draw: Draw, by: Any) -> Draw:
    """Close the panel once every live score sheet is submitted; experts may then see the
    panel's scores (blind review ends here)."""
    with transaction.atomic():
        draw = lock(draw)
        role = access.require_office(by, draw.call)
        live = Assignment.objects.filter(invitation__draw=draw).exclude(
            state__in=[AssignmentState.VOID, AssignmentState.SUBMITTED]
        )
        if live.exists():
            raise Invalid(_("%(n)d score sheets are not submitted yet.") % {"n": live.count()})
        draw.closed_at = timezone.now()
        apply_transition(draw, "close", by=by, role=role, update_fields=("closed_at",))
    return draw
