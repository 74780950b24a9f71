import pytest
from django.urls import reverse

from tests.factories import CallFactory, UserFactory, published_call
from workflow.models import AuditEvent, Call


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model",
    ["office", "department", "organisation", "membership", "call", "calendarday", "auditevent"],
)
def test_changelists_open(admin_client, model):
    assert admin_client.get(reverse(f"admin:workflow_{model}_changelist")).status_code == 200


def test_published_call_cannot_be_edited_in_admin(admin_client):
    call = published_call()
    response = admin_client.post(
        reverse("admin:workflow_call_change", args=[call.pk]), {"title": "改了", "quota": 9}
    )
    assert response.status_code in (200, 302)
    call.refresh_from_db()
    assert call.title != "改了"


def test_draft_call_state_is_read_only_in_admin(admin_client):
    call = CallFactory()
    page = admin_client.get(reverse("admin:workflow_call_change", args=[call.pk]))
    assert b'name="state"' not in page.content
    assert Call.objects.get(pk=call.pk).state == "draft"


def test_audit_events_cannot_be_changed_in_admin(admin_client):
    published_call()
    event = AuditEvent.objects.first()
    response = admin_client.post(
        reverse("admin:workflow_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_non_staff_user_is_kept_out_of_admin(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:workflow_call_changelist"))
    assert response.status_code == 302


def _call_form(office, **extra):
    data = {
        "office": office.pk,
        "title": "新材料产教融合实训基地",
        "sector": "新材料",
        "level": "province",
        "description": "说明",
        "functions": '["training"]',
        "eligible_applicant_types": '["university"]',
        "allowed_modes": '["school_led"]',
        "required_attachments": '["application_form"]',
        "quota": 1,
        "route": "selection",
        "countersign_mode": "all",
        "opens_at_0": "2030-01-01",
        "opens_at_1": "09:00:00",
        "closes_at_0": "2030-02-01",
        "closes_at_1": "17:00:00",
        "correction_working_days": 5,
    }
    return data | extra


def test_office_staff_creates_a_call_in_admin_with_an_audit_event(client, db):
    from tests.factories import OfficeFactory, member
    from workflow.choices import Role

    office = OfficeFactory()
    user = member(Role.OFFICE_STAFF, office, is_staff=True, is_superuser=True)
    client.force_login(user)
    response = client.post(reverse("admin:workflow_call_add"), _call_form(office))
    assert response.status_code == 302, response.content.decode()[:2000]
    call = Call.objects.get(title="新材料产教融合实训基地")
    event = AuditEvent.objects.get(action="call.create")
    assert (event.actor, event.object_id, event.diff["quota"]) == (user, str(call.pk), 1)


def test_admin_refuses_a_call_for_another_office(client, db):
    from tests.factories import OfficeFactory, member
    from workflow.choices import Role

    user = member(Role.OFFICE_STAFF, OfficeFactory(), is_staff=True, is_superuser=True)
    client.force_login(user)
    response = client.post(reverse("admin:workflow_call_add"), _call_form(OfficeFactory()))
    assert response.status_code == 200
    assert not Call.objects.exists()
    assert not AuditEvent.objects.exists()


def test_draft_call_update_in_admin_is_audited_with_old_and_new(client, db):
    from tests.factories import member
    from workflow.choices import Role

    call = CallFactory()
    user = member(Role.OFFICE_STAFF, call.office, is_staff=True, is_superuser=True)
    client.force_login(user)
    data = _call_form(call.office, quota=5)
    data.pop("office")
    response = client.post(reverse("admin:workflow_call_change", args=[call.pk]), data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="call.update")
    assert event.diff["quota"] == {"old": 2, "new": 5}


def test_office_admin_group_lets_staff_edit_the_holiday_calendar(client, db):
    import datetime as dt

    from tests.factories import OfficeFactory, member
    from workflow.choices import Role
    from workflow.models import CalendarDay
    from workflow.roles import office_admin_group

    user = member(Role.OFFICE_STAFF, OfficeFactory(), is_staff=True)
    user.groups.add(office_admin_group())
    client.force_login(user)
    response = client.post(
        reverse("admin:workflow_calendarday_add"),
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date=dt.date(2027, 1, 1), kind="holiday").exists()
    # ... but not delete the audit trail or change memberships
    assert client.get(reverse("admin:workflow_membership_changelist")).status_code == 403


def test_office_staff_create_a_direct_award_call_in_admin(client, db):
    from tests.factories import OfficeFactory, member
    from workflow.choices import CallRoute, Role

    office = OfficeFactory()
    user = member(Role.OFFICE_STAFF, office, is_staff=True, is_superuser=True)
    client.force_login(user)
    response = client.post(
        reverse("admin:workflow_call_add"),
        _call_form(office, route=CallRoute.DIRECT_AWARD, countersign_mode="any"),
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.route, call.countersign_mode) == (CallRoute.DIRECT_AWARD, "any")
    assert AuditEvent.objects.get(action="call.create").diff["route"] == CallRoute.DIRECT_AWARD
