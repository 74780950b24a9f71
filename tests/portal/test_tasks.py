"""我的待办 and the moves on a task through HTTP, as the real roles, with the refusals."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from processes import engine
from processes.models import AddedSigner, Delegation, ItemCopy
from tests.factories import OfficeFactory, OrganisationFactory, member
from tests.portal.helpers import logged_in
from tests.processes.helpers import Notice, open_steps, open_task
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = Notice()
    with time_machine.travel(world.after_notice, tick=True):
        world.countersign_all()
        yield world


def detail(task) -> str:
    return reverse("portal:task_detail", args=[task.pk])


def move(task, name: str) -> str:
    return reverse("portal:task_move", args=[task.pk, name])


def test_the_inbox_lists_the_users_tasks_and_refuses_anonymous(world, client):
    response = client.get(reverse("portal:task_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    page = logged_in(world.director).get(reverse("portal:task_list"))
    assert page.status_code == 200
    assert "Approve the winners and decide the call" in page.content.decode()
    other = logged_in(member(Role.OFFICE_DIRECTOR, OfficeFactory())).get(
        reverse("portal:task_list")
    )
    assert "Nothing is waiting for you." in other.content.decode()


@pytest.mark.parametrize(
    "outsider",
    [
        lambda w: member(Role.APPLICANT, OrganisationFactory()),
        lambda w: member(Role.OFFICE_STAFF, OfficeFactory()),
        lambda w: member(Role.APPLICANT, w.winner.organisation),
    ],
    ids=["other applicant", "other office", "the applicant itself"],
)
def test_a_task_page_is_hidden_from_outsiders(world, outsider):
    task = open_task(world.call, "director_approval")
    client = logged_in(outsider(world))
    assert client.get(detail(task)).status_code == 404
    assert client.post(move(task, "urge"), {"note": "x"}).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="task.").exists()


def test_the_director_hands_over_to_a_colleague_through_http(world):
    task = open_task(world.call, "director_approval")
    deputy = member(Role.OFFICE_DIRECTOR, world.call.office)
    client = logged_in(world.director)
    page = client.get(detail(task)).content.decode()
    assert "Hand over to a colleague" in page and "Urge" in page  # the director is office too
    refused = client.post(move(task, "hand_over"), {"to": world.staff.pk, "reason": "出差"})
    assert refused.status_code == 200  # not a colleague with the role: form error, nothing done
    response = client.post(move(task, "hand_over"), {"to": deputy.pk, "reason": "出差，请代批。"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner_id == deputy.pk
    assert AuditEvent.objects.filter(action="task.hand_over", actor_id=world.director.pk).exists()


def test_staff_urge_and_the_count_shows(world):
    task = open_task(world.call, "director_approval")
    assert logged_in(world.staff).post(move(task, "urge"), {"note": "请尽快"}).status_code == 302
    task.refresh_from_db()
    assert task.data["urges"] == 1
    page = logged_in(world.director).get(reverse("portal:task_list")).content.decode()
    assert "Urged 1 time" in page


def test_copy_then_the_reader_finds_it_in_copied_to_me(world):
    task = open_task(world.call, "director_approval")
    reader = world.approvers[0]
    response = logged_in(world.director).post(
        move(task, "copy"), {"recipients": [reader.pk], "note": "请知悉"}
    )
    assert response.status_code == 302
    client = logged_in(reader)
    page = client.get(reverse("portal:copied_list")).content.decode()
    assert world.call.title in page and "Unread" in page
    assert client.get(detail(task) + "?copy=1").status_code == 200
    assert ItemCopy.objects.get().read_at is not None
    # A reader cannot act: the page offers no moves and a posted move is refused.
    assert client.post(move(task, "hand_over"), {"to": reader.pk, "reason": "x"}).status_code == 302
    task.refresh_from_db()
    assert task.owner_id is None


def test_return_with_a_reason_and_send_on_through_http(world):
    task = open_task(world.call, "director_approval")
    client = logged_in(world.director)
    bad = client.post(move(task, "return"), {"to_step": "start", "reason": "x"})
    assert bad.status_code == 200 and open_steps(world.call) == {"director_approval"}
    no_reason = client.post(move(task, "return"), {"to_step": "open_countersign", "reason": ""})
    assert no_reason.status_code == 200 and open_steps(world.call) == {"director_approval"}
    client.post(move(task, "return"), {"to_step": "open_countersign", "reason": "补充材料"})
    returned = open_task(world.call, "open_countersign")
    page = logged_in(world.staff).get(detail(returned)).content.decode()
    assert "补充材料" in page and "Approve the winners and decide the call" in page
    logged_in(world.staff).post(move(returned, "send_on"))
    assert open_steps(world.call) == {"director_approval"}


def test_add_a_signer_and_the_department_signs_through_http(world):
    task = open_task(world.call, "director_approval")
    department = world.departments[0]
    logged_in(world.director).post(
        move(task, "add_signer"),
        {"position": "before", "department": department.pk, "reason": "请先签署"},
    )
    signer = AddedSigner.objects.get()
    url = reverse("portal:sign_detail", args=[signer.pk])
    assert logged_in(world.approvers[1]).get(url).status_code == 404
    approver = logged_in(world.approvers[0])
    assert "请先签署" in approver.get(reverse("portal:task_list")).content.decode()
    approver.post(url, {"decision": "agree", "opinion": "同意。"})
    signer.refresh_from_db()
    assert signer.state == "agreed" and signer.signed_by_id == world.approvers[0].pk


def test_the_director_approves_and_decides_through_http_and_staff_are_refused(world):
    url = reverse("portal:director_decision", args=[world.call.pk])
    assert logged_in(world.staff).get(url).status_code == 403
    client = logged_in(world.director)
    assert client.get(url).status_code == 200
    client.post(
        reverse("portal:director_decide_application", args=[world.call.pk, world.winner.pk]),
        {f"a{world.winner.pk}-decision": "approve", f"a{world.winner.pk}-opinion": "同意立项。"},
    )
    world.winner.refresh_from_db()
    assert world.winner.state == ApplicationState.APPROVED
    client.post(reverse("portal:director_decide_call", args=[world.call.pk]))
    world.call.refresh_from_db()
    assert world.call.state == CallState.DECIDED


def test_absence_delegation_page_sets_and_revokes(world):
    client = logged_in(world.director)
    url = reverse("portal:delegation_list")
    today = timezone.localdate()
    bad = client.post(
        url,
        {"delegate": world.staff.pk, "starts_on": today, "ends_on": today - dt.timedelta(days=1)},
    )
    assert bad.status_code == 200 and not Delegation.objects.exists()
    client.post(
        url,
        {"delegate": world.staff.pk, "starts_on": today, "ends_on": today + dt.timedelta(days=3)},
    )
    delegation = Delegation.objects.get()
    assert (
        logged_in(world.staff)
        .post(reverse("portal:delegation_revoke", args=[delegation.pk]))
        .status_code
        == 404
    )
    client.post(reverse("portal:delegation_revoke", args=[delegation.pk]))
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None


def test_the_delegate_decides_through_the_director_page():
    world = Notice()
    today = timezone.localdate()
    logged_in(world.director).post(
        reverse("portal:delegation_list"),
        {
            "delegate": world.staff.pk,
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=60),
        },
    )
    with time_machine.travel(world.after_notice, tick=True):
        world.countersign_all()
        client = logged_in(world.staff)
        assert (
            client.get(reverse("portal:director_decision", args=[world.call.pk])).status_code == 200
        )
        client.post(
            reverse("portal:director_decide_application", args=[world.call.pk, world.winner.pk]),
            {f"a{world.winner.pk}-decision": "approve", f"a{world.winner.pk}-opinion": ""},
        )
        client.post(reverse("portal:director_decide_call", args=[world.call.pk]))
    world.call.refresh_from_db()
    assert world.call.state == CallState.DECIDED
    assert engine.inbox(world.staff)[0].task.flow_task.name == "draft_agreement"


def test_every_move_leaves_an_audit_event_with_its_actor(world):
    task = open_task(world.call, "director_approval")
    director = logged_in(world.director)
    director.post(move(task, "copy"), {"recipients": [world.approvers[0].pk], "note": "知悉"})
    director.post(
        move(task, "add_signer"),
        {"position": "after", "department": world.departments[1].pk, "reason": "复核"},
    )
    logged_in(world.staff).post(move(task, "urge"), {"note": ""})
    director.post(move(task, "return"), {"to_step": "open_countersign", "reason": "补充"})
    returned = open_task(world.call, "open_countersign")
    logged_in(world.staff).post(move(returned, "send_on"))
    actors = dict(
        AuditEvent.objects.filter(action__startswith="task.").values_list("action", "actor_id")
    )
    assert actors == {
        "task.copy": world.director.pk,
        "task.add_signer": world.director.pk,
        "task.urge": world.staff.pk,
        "task.return": world.director.pk,
        "task.send_on": world.staff.pk,
    }


def test_withdraw_is_refused_through_http_once_the_next_person_acted():
    from tests.factories_landing import agreement_fields, landing_parties, load_wucheng_rules
    from workflow.services import landing as landing_svc

    load_wucheng_rules()
    application, staff, applicant = landing_parties()
    from django.db import transaction

    with transaction.atomic():
        engine.sync(application)
    agreement = landing_svc.agreement_draft(application=application, by=staff, **agreement_fields())
    landing_svc.agreement_send(agreement=agreement, by=staff)
    sent = (
        engine.processes_of(application).get().task_set.get(flow_task_type="HUMAN", status="DONE")
    )
    logged_in(applicant).post(reverse("portal:agreement_confirm", args=[application.pk]))
    agreement.refresh_from_db()
    assert agreement.state == "confirmed"
    response = logged_in(staff).post(move(sent, "withdraw"), {"reason": "x"}, follow=True)
    assert "You cannot do this with this task now." in response.content.decode()
    assert not AuditEvent.objects.filter(action="task.withdraw").exists()
