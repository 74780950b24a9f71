"""The admin shows the expert pool and avoidance requests, and changes nothing."""

import pytest
from django.urls import reverse

from tests.factories import ExpertRelationFactory, UserFactory
from workflow.models import Expert


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["expert", "avoidancerequest"])
def test_changelists_open(admin_client, model):
    assert admin_client.get(reverse(f"admin:workflow_{model}_changelist")).status_code == 200


def test_expert_page_shows_relations_read_only(admin_client):
    relation = ExpertRelationFactory()
    expert = relation.expert
    url = reverse("admin:workflow_expert_change", args=[expert.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert relation.organisation.name in page.content.decode()
    assert b'name="name"' not in page.content

    admin_client.post(url, {"name": "改了"})
    assert Expert.objects.get(pk=expert.pk).name == expert.name
    assert admin_client.get(reverse("admin:workflow_expert_add")).status_code == 403
