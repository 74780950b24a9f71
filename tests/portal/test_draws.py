"""The draw screen (office) and invitations (expert) through HTTP, with their refusals."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import OfficeFactory, call_under_review, expert_pool, make_expert, member
from tests.portal.helpers import logged_in
from workflow.choices import DrawState, InvitationState, Role
from workflow.models import Draw, Invitation
from workflow.services import review as svc

pytestmark = pytest.mark.django_db

CONFIGURE = {
    "mode": "panel",
    "panel_size": "5",
    "experts_per_application": "3",
    "load_cap": "3",
    "required_sectors": "新能源汽车",
    "alternates": "2",
    "review_due": "2030-12-01 17:00",
}


@pytest.fixture
def setup():
    call, applications, staff = call_under_review(2)
    experts = expert_pool(9)
    return call, applications, staff, experts


def test_office_configures_performs_and_sees_the_draw(setup):
    call, _apps, staff, _experts = setup
    client = logged_in(staff)
    assert client.get(reverse("portal:draw_page", args=[call.pk])).status_code == 200
    response = client.post(reverse("portal:draw_configure", args=[call.pk]), CONFIGURE)
    assert response.status_code == 302
    draw = Draw.objects.get(call=call)
    assert draw.required_sectors == ["新能源汽车"]
    assert timezone.localtime(draw.review_due).strftime("%Y-%m-%d %H:%M") == "2030-12-01 17:00"
    client.post(reverse("portal:draw_perform", args=[call.pk, draw.pk]))
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN
    page = client.get(reverse("portal:draw_page", args=[call.pk])).content.decode()
    assert draw.seed in page and draw.seed_commitment in page
    first = draw.invitations.order_by("position").first()
    assert first.expert.name in page


@pytest.mark.parametrize(
    "data",
    [
        {**CONFIGURE, "panel_size": "4"},
        {**CONFIGURE, "panel_size": "abc"},
        {**CONFIGURE, "mode": "lottery"},
        {},
    ],
    ids=["even-panel", "not-a-number", "bad-mode", "empty"],
)
def test_bad_settings_are_refused_without_a_draw(setup, data):
    call, _apps, staff, _experts = setup
    response = logged_in(staff).post(reverse("portal:draw_configure", args=[call.pk]), data)
    assert response.status_code in (200, 302)
    assert not Draw.objects.exists()


def test_redraw_needs_a_reason(setup):
    call, _apps, staff, _experts = setup
    draw = svc.draw_perform(draw=svc.draw_configure(call=call, by=staff), by=staff)
    client = logged_in(staff)
    client.post(reverse("portal:draw_redraw", args=[call.pk, draw.pk]), {"reason": ""})
    assert Draw.objects.get(pk=draw.pk).state == DrawState.DRAWN
    client.post(reverse("portal:draw_redraw", args=[call.pk, draw.pk]), {"reason": "专家库有误"})
    assert Draw.objects.get(pk=draw.pk).state == DrawState.SUPERSEDED
    assert Draw.objects.filter(replaces=draw, state=DrawState.DRAWN).exists()


@pytest.mark.parametrize("who", ["other_staff", "applicant", "expert", "anonymous"])
def test_draw_pages_refuse_everyone_but_the_calls_office(setup, who):
    call, applications, _staff, experts = setup
    url = reverse("portal:draw_page", args=[call.pk])
    post = reverse("portal:draw_configure", args=[call.pk])
    if who == "anonymous":
        client = Client()
        assert client.get(url).status_code == 302
        assert client.post(post, CONFIGURE).status_code == 302
    else:
        user = {
            "other_staff": lambda: member(Role.OFFICE_STAFF, OfficeFactory()),
            "applicant": lambda: member(Role.APPLICANT, applications[0].organisation),
            "expert": lambda: experts[0].user,
        }[who]()
        client = logged_in(user)
        expected = 404 if who == "other_staff" else 403
        assert client.get(url).status_code == expected
        assert client.post(post, CONFIGURE).status_code == expected
    assert not Draw.objects.exists()


@pytest.fixture
def drawn(setup):
    call, applications, staff, _experts = setup
    draw = svc.draw_perform(draw=svc.draw_configure(call=call, by=staff), by=staff)
    invitations = list(draw.invitations.filter(state=InvitationState.INVITED).order_by("position"))
    return draw, applications, invitations


def test_expert_accepts_with_the_declaration(drawn):
    _draw, _apps, invitations = drawn
    invitation = invitations[0]
    client = logged_in(invitation.expert.user)
    page = client.get(reverse("portal:invitation_list"))
    assert page.status_code == 200 and invitation.draw.call.title in page.content.decode()
    client.post(reverse("portal:invitation_accept", args=[invitation.pk]), {})
    assert Invitation.objects.get(pk=invitation.pk).state == InvitationState.INVITED
    client.post(reverse("portal:invitation_accept", args=[invitation.pk]), {"confirm": "on"})
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.ACCEPTED and invitation.declaration


def test_expert_declines_and_an_alternate_is_invited(drawn):
    draw, _apps, invitations = drawn
    client = logged_in(invitations[0].expert.user)
    client.post(reverse("portal:invitation_decline", args=[invitations[0].pk]), {"reason": ""})
    assert Invitation.objects.get(pk=invitations[0].pk).state == InvitationState.INVITED
    client.post(reverse("portal:invitation_decline", args=[invitations[0].pk]), {"reason": "出差"})
    assert Invitation.objects.get(pk=invitations[0].pk).state == InvitationState.DECLINED
    assert draw.invitations.filter(position=6, state=InvitationState.INVITED).exists()


def test_another_expert_cannot_answer_or_see_an_invitation(drawn):
    _draw, _apps, invitations = drawn
    client = logged_in(invitations[1].expert.user)
    for name in ("invitation_accept", "invitation_decline", "invitation_conflict"):
        response = client.post(
            reverse(f"portal:{name}", args=[invitations[0].pk]), {"confirm": "on", "reason": "x"}
        )
        assert response.status_code == 404
    assert Invitation.objects.get(pk=invitations[0].pk).state == InvitationState.INVITED
    assert (
        invitations[0].expert.name
        not in client.get(reverse("portal:invitation_list")).content.decode()
    )


def test_non_experts_get_no_invitation_page(drawn):
    _draw, applications, _invitations = drawn
    applicant = member(Role.APPLICANT, applications[0].organisation)
    assert logged_in(applicant).get(reverse("portal:invitation_list")).status_code == 403
    uninvited = logged_in(make_expert().user).get(reverse("portal:invitation_list"))
    assert uninvited.status_code == 200
    assert Client().get(reverse("portal:invitation_list")).status_code == 302


def test_panel_names_are_hidden_from_the_applicant_and_the_public(drawn):
    _draw, applications, invitations = drawn
    application = applications[0]
    applicant = member(Role.APPLICANT, application.organisation)
    pages = [
        logged_in(applicant).get(reverse("portal:application_detail", args=[application.pk])),
        Client().get(reverse("portal:call_detail", args=[application.call_id])),
    ]
    for page in pages:
        assert page.status_code == 200
        for invitation in invitations:
            assert invitation.expert.name not in page.content.decode()


def test_only_an_accepting_expert_downloads_the_applications_documents(drawn):
    from tests.factories import OrganisationFactory
    from workflow.models import Attachment

    _draw, applications, invitations = drawn
    accepted, invited_only = invitations[0], invitations[1]
    svc.invitation_accept(invitation=accepted, by=accepted.expert.user, declaration="无")
    attachment = Attachment.objects.filter(application=applications[0]).first()
    url = reverse("portal:attachment_download", args=[applications[0].pk, attachment.pk])
    assert logged_in(accepted.expert.user).get(url).status_code == 200
    other_call_draw_expert = make_expert()
    refused = [
        invited_only.expert.user,  # drawn but has not accepted
        other_call_draw_expert.user,  # in the pool, not on this panel
        member(Role.APPLICANT, OrganisationFactory()),  # another organisation
        member(Role.OFFICE_STAFF, OfficeFactory(region="大同市")),  # an office of another region
    ]
    for user in refused:
        assert logged_in(user).get(url).status_code == 404


def test_the_draw_page_lists_each_recusal_with_its_application_and_rule(setup):
    call, applications, staff, _experts = setup
    insider = make_expert(employer=applications[0].organisation)
    svc.draw_perform(draw=svc.draw_configure(call=call, by=staff), by=staff)
    page = logged_in(staff).get(reverse("portal:draw_page", args=[call.pk])).content.decode()
    assert insider.name in page and applications[0].title in page
