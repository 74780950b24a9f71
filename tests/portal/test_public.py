"""Public pages: published calls are listed and shown; drafts and cancelled calls are not."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, CallFactory, member, published_call
from tests.portal.helpers import text
from workflow.choices import CallState, Role
from workflow.services.calls import call_cancel

pytestmark = pytest.mark.django_db


def test_call_list_shows_published_calls_and_hides_drafts_and_cancelled(client):
    shown = published_call(title="山西省新能源汽车产教融合实训基地")
    draft = CallFactory(title="尚未发布的草稿榜单")
    cancelled = published_call(title="已撤销的榜单")
    call_cancel(call=cancelled, by=member(Role.OFFICE_STAFF, cancelled.office), reason="调整计划")

    response = client.get(reverse("portal:call_list"))

    assert response.status_code == 200
    assert shown.title in text(response)
    assert draft.title not in text(response)
    assert cancelled.title not in text(response)


def test_home_lists_open_calls_for_anonymous_visitors(client):
    call = published_call(title="智能制造产教融合平台")
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert call.title in text(response)
    assert reverse("login") in text(response)


def test_call_detail_of_a_published_call(client):
    call = published_call(title="现代农业实训基地")
    response = client.get(reverse("portal:call_detail", args=[call.pk]))
    assert response.status_code == 200
    assert call.title in text(response)
    assert call.description in text(response)


def test_call_detail_of_a_draft_is_404(client):
    draft = CallFactory()
    assert draft.state == CallState.DRAFT
    assert client.get(reverse("portal:call_detail", args=[draft.pk])).status_code == 404


def test_call_detail_of_an_unknown_call_is_404(client):
    assert client.get(reverse("portal:call_detail", args=[999999])).status_code == 404


def test_login_page_and_login_redirect_home(applicant):
    client = Client()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": applicant.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_wrong_password_gives_a_form_error(applicant):
    response = Client().post(reverse("login"), {"username": applicant.username, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_logout_by_post(applicant_client):
    response = applicant_client.post(reverse("logout"))
    assert response.status_code == 302
    assert applicant_client.get(reverse("portal:application_list")).status_code == 302


def test_pages_link_only_vendored_static_assets(client):
    published_call()
    body = text(client.get(reverse("portal:home")))
    assert "/static/portal/portal.css" in body
    assert "http://" not in body
    assert "https://" not in body


def test_a_published_call_past_its_window_is_shown_as_closed(client):
    import datetime as dt

    import time_machine

    call = published_call(title="窗口已过的榜单")
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=1)):
        page = text(client.get(reverse("portal:call_list")))
    assert "申报已截止" in page
    assert "申报已截止" not in text(client.get(reverse("portal:call_list")))
