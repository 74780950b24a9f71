"""The portal's own login, 403 and 404 pages.

viewflow ships registration/login.html, 403.html and 404.html of its own; the portal's win
because "portal" comes before "viewflow" in INSTALLED_APPS (config/settings.py).
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.portal.helpers import logged_in

pytestmark = pytest.mark.django_db


def rendered_templates(response) -> set[str]:
    return {t.name for t in response.templates}


def pages(user) -> dict:
    client = logged_in(user)
    return {
        "login": Client().get(reverse("login")),
        "403": client.get(reverse("portal:office_queue")),
        "404": client.get("/applications/999999/"),
    }


def test_portal_templates_win_with_the_project_settings(applicant):
    for name, response in pages(applicant).items():
        assert "portal/base.html" in rendered_templates(response), name
        assert "/static/portal/portal.css" in response.content.decode(), name
    assert pages(applicant)["404"].status_code == 404
