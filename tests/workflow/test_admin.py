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
