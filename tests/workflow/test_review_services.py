"""Draws, invitations and alternates through the services, on the database."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import (
    OfficeFactory,
    OrganisationFactory,
    call_under_review,
    expert_pool,
    make_expert,
    member,
)
from workflow.choices import (
    AssignmentState,
    DrawMode,
    DrawState,
    ExpertRelationKind,
    InvitationState,
    Role,
)
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Assignment, AuditEvent, Draw, ExpertRelation, Invitation
from workflow.services import review as svc

pytestmark = pytest.mark.django_db


def drawn_panel(n_experts: int = 12, n_applications: int = 3, **settings):
    call, applications, staff = call_under_review(n_applications)
    experts = expert_pool(n_experts)
    draw = svc.draw_configure(call=call, by=staff, mode=DrawMode.PANEL, **settings)
    draw = svc.draw_perform(draw=draw, by=staff)
    return draw, applications, experts, staff


def invited(draw: Draw):
    return list(draw.invitations.filter(state=InvitationState.INVITED).order_by("position"))


def verify(draw_id: int) -> str:
    out = StringIO()
    call_command("draw_verify", draw_id, stdout=out)
    return out.getvalue()


def test_panel_draw_commits_before_it_reveals_and_verifies():
    draw, _apps, _experts, _staff = drawn_panel()
    assert draw.state == DrawState.DRAWN
    events = list(
        AuditEvent.objects.filter(object_type="workflow.draw", object_id=str(draw.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert events == ["draw.configure", "draw.commit", "draw.reveal"]
    commit = AuditEvent.objects.get(action="draw.commit", object_id=str(draw.pk))
    reveal = AuditEvent.objects.get(action="draw.reveal", object_id=str(draw.pk))
    assert "seed" not in commit.diff
    assert (
        hashlib.sha256(reveal.diff["seed"].encode()).hexdigest() == commit.diff["seed_commitment"]
    )
    assert len(invited(draw)) == 5
    assert draw.invitations.filter(state=InvitationState.RESERVE).count() == 2
    assert "MATCH" in verify(draw.pk)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seed": "0" * 64}, "seed commitment"),
        ("pool", "recorded inputs"),
        ("result", "members"),
    ],
)
def test_draw_verify_catches_a_changed_seed_pool_or_result(change, message):
    draw, *_ = drawn_panel()
    if change == "pool":
        inputs = dict(draw.inputs, pool=draw.inputs["pool"][1:])
        Draw.objects.filter(pk=draw.pk).update(inputs=inputs)
    elif change == "result":
        result = dict(draw.result, members=list(reversed(draw.result["members"])))
        Draw.objects.filter(pk=draw.pk).update(result=result)
    else:
        Draw.objects.filter(pk=draw.pk).update(**change)
    with pytest.raises(CommandError) as excinfo:
        verify(draw.pk)
    assert "DIFFERENCE" in str(excinfo.value) and message in str(excinfo.value)


def test_recused_experts_are_never_drawn_and_the_reason_is_recorded():
    call, applications, staff = call_under_review(2)
    target = applications[0]
    insiders = [
        make_expert(employer=target.organisation),  # rule 1
        make_expert(),  # rule 3, below
    ]
    ExpertRelation.objects.create(
        expert=insiders[1], kind=ExpertRelationKind.DIRECTOR, organisation=target.organisation
    )
    expert_pool(8)
    draw = svc.draw_perform(draw=svc.draw_configure(call=call, by=staff), by=staff)
    drawn = set(draw.invitations.values_list("expert_id", flat=True))
    assert not drawn & {e.id for e in insiders}
    recorded = draw.inputs["exclusions"][str(target.pk)]
    assert recorded[str(insiders[0].pk)][0][:2] == [1, "employed_now"]
    assert recorded[str(insiders[1].pk)][0][:2] == [3, "controls_a_party"]


def test_office_staff_of_the_call_are_recused():
    call, _apps, staff = call_under_review(1)
    insider = make_expert()
    from workflow.models import Membership

    Membership.objects.create(user=insider.user, role=Role.OFFICE_STAFF, office=call.office)
    expert_pool(7)
    draw = svc.draw_perform(draw=svc.draw_configure(call=call, by=staff), by=staff)
    assert insider.pk not in draw.invitations.values_list("expert_id", flat=True)


def test_accepting_opens_assignments_with_object_permissions():
    draw, applications, _experts, _staff = drawn_panel()
    invitation = invited(draw)[0]
    user = invitation.expert.user
    svc.invitation_accept(invitation=invitation, by=user, declaration="本人与申报单位无利害关系")
    assignments = Assignment.objects.filter(invitation=invitation)
    assert assignments.count() == len(applications)
    other = invited(draw)[1].expert.user
    for assignment in assignments:
        assert user.has_perm("workflow.score_assignment", assignment)
        assert user.has_perm("workflow.view_application", assignment.application)
        assert not other.has_perm("workflow.score_assignment", assignment)


def test_decline_promotes_the_next_alternate_automatically():
    draw, *_ = drawn_panel()
    first = invited(draw)[0]
    alternate = draw.invitations.get(state=InvitationState.RESERVE, position=6)
    svc.invitation_decline(invitation=first, by=first.expert.user, reason="出差无法参加")
    alternate.refresh_from_db()
    assert alternate.state == InvitationState.INVITED
    event = AuditEvent.objects.filter(action="invitation.invite").latest("sequence")
    assert (event.object_id, event.role, event.actor) == (str(alternate.pk), "system", None)
    assert len(invited(draw)) == 5


def test_late_conflict_voids_the_experts_sheets_and_promotes_an_alternate():
    draw, _apps, _experts, staff = drawn_panel()
    invitation = invited(draw)[0]
    user = invitation.expert.user
    svc.invitation_accept(invitation=invitation, by=user, declaration="无利害关系")
    svc.invitation_withdraw_for_conflict(
        invitation=invitation, by=staff, reason="发现曾任职于申报单位"
    )
    states = set(Assignment.objects.filter(invitation=invitation).values_list("state", flat=True))
    assert states == {AssignmentState.VOID}
    assert not any(
        user.has_perm("workflow.score_assignment", a)
        for a in Assignment.objects.filter(invitation=invitation)
    )
    assert draw.invitations.filter(position=6, state=InvitationState.INVITED).exists()


def test_no_alternate_left_is_recorded():
    draw, *_ = drawn_panel(n_experts=5, alternates=0)
    first = invited(draw)[0]
    svc.invitation_decline(invitation=first, by=first.expert.user, reason="身体原因")
    assert AuditEvent.objects.filter(action="draw.short", object_id=str(draw.pk)).exists()


@pytest.mark.parametrize("who", ["applicant", "other_staff", "director", "expert"])
def test_only_office_staff_of_the_call_configure_and_perform(who):
    call, applications, staff = call_under_review(1)
    expert_pool(6)
    users = {
        "applicant": member(Role.APPLICANT, applications[0].organisation),
        "other_staff": member(Role.OFFICE_STAFF, OfficeFactory()),
        "director": member(Role.OFFICE_DIRECTOR, call.office),
        "expert": make_expert().user,
    }
    with pytest.raises(NotPermitted):
        svc.draw_configure(call=call, by=users[who])
    draw = svc.draw_configure(call=call, by=staff)
    with pytest.raises(NotPermitted):
        svc.draw_perform(draw=draw, by=users[who])
    assert Draw.objects.get(pk=draw.pk).state == DrawState.CONFIGURED


def test_only_the_invited_expert_answers():
    draw, *_ = drawn_panel()
    first, second = invited(draw)[:2]
    with pytest.raises(NotPermitted):
        svc.invitation_accept(invitation=first, by=second.expert.user, declaration="无")
    with pytest.raises(NotPermitted):
        svc.invitation_decline(
            invitation=first, by=member(Role.APPLICANT, OrganisationFactory()), reason="x"
        )
    assert Invitation.objects.get(pk=first.pk).state == InvitationState.INVITED


def test_redraw_needs_a_reason_and_replaces_the_draw():
    draw, _apps, _experts, staff = drawn_panel()
    with pytest.raises(Invalid):
        svc.draw_redraw(draw=draw, by=staff, reason=" ")
    fresh = svc.draw_redraw(draw=draw, by=staff, reason="抽取后发现专家库数据有误")
    draw.refresh_from_db()
    assert draw.state == DrawState.SUPERSEDED and fresh.replaces == draw
    assert fresh.state == DrawState.DRAWN and fresh.redraw_reason
    assert set(draw.invitations.values_list("state", flat=True)) == {InvitationState.SUPERSEDED}
    assert "MATCH" in verify(fresh.pk)


def test_a_second_draw_without_redraw_is_refused():
    draw, _apps, _experts, staff = drawn_panel()
    with pytest.raises(Conflict):
        svc.draw_configure(call=draw.call, by=staff)


def test_invalid_settings_are_refused_with_the_rule():
    call, _apps, staff = call_under_review(1)
    with pytest.raises(Invalid) as excinfo:
        svc.draw_configure(call=call, by=staff, mode=DrawMode.PANEL, panel_size=4)
    assert excinfo.value.problems
    assert not Draw.objects.exists()


def test_impossible_draw_is_set_aside_with_its_seed_revealed():
    call, _apps, staff = call_under_review(1)
    expert_pool(3)
    draw = svc.draw_configure(call=call, by=staff)
    with pytest.raises(Invalid) as excinfo:
        svc.draw_perform(draw=draw, by=staff)
    assert excinfo.value.problems
    draw.refresh_from_db()
    assert draw.state == DrawState.SUPERSEDED and draw.seed
    assert not draw.invitations.exists()
    assert "MATCH" in verify(draw.pk)


def test_correspondence_mode_gives_each_application_its_own_experts():
    call, applications, staff = call_under_review(4)
    expert_pool(10)
    draw = svc.draw_configure(
        call=call,
        by=staff,
        mode=DrawMode.PER_APPLICATION,
        experts_per_application=3,
        load_cap=2,
    )
    draw = svc.draw_perform(draw=draw, by=staff)
    for application in applications:
        seats = draw.invitations.filter(application=application, state=InvitationState.INVITED)
        assert seats.count() == 3
    loads = {}
    for expert_id in draw.invitations.filter(state=InvitationState.INVITED).values_list(
        "expert_id", flat=True
    ):
        loads[expert_id] = loads.get(expert_id, 0) + 1
    assert max(loads.values()) <= 2
    invitation = draw.invitations.filter(state=InvitationState.INVITED).first()
    svc.invitation_accept(invitation=invitation, by=invitation.expert.user, declaration="无")
    assert list(
        Assignment.objects.filter(invitation=invitation).values_list("application_id", flat=True)
    ) == [invitation.application_id]
    assert "MATCH" in verify(draw.pk)


def test_an_accepted_expert_may_read_the_application_and_no_other():
    from workflow.access import applications_visible_to

    draw, applications, _experts, staff = drawn_panel()
    first, second = invited(draw)[:2]
    svc.invitation_accept(invitation=first, by=first.expert.user, declaration="无利害关系")
    visible = set(applications_visible_to(first.expert.user).values_list("id", flat=True))
    assert visible == {a.id for a in applications}
    assert not applications_visible_to(second.expert.user).exists()  # invited, not accepted
    svc.invitation_withdraw_for_conflict(invitation=first, by=staff, reason="利害关系")
    assert not applications_visible_to(first.expert.user).exists()
