"""The portal's own login, 403 and 404 pages.

viewflow ships registration/login.html, 403.html and 404.html of its own; the portal's win
because "portal" comes before "viewflow" in INSTALLED_APPS (config/settings.py).
"""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import bad_request

from tests.portal.helpers import logged_in
from workflow.models import FrequentPhrase

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


def test_a_csrf_failure_explains_itself_in_chinese_and_changes_nothing(applicant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    response = client.post(reverse("portal:phrase_list"), {"text": "同意"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "表单已失效" in body and "未作任何更改" in body
    assert not FrequentPhrase.objects.exists()


def test_the_bad_request_page_is_chinese_first():
    response = bad_request(RequestFactory().get("/"), SuspiciousOperation())
    assert response.status_code == 400
    assert "无法读取您的请求" in response.content.decode()
