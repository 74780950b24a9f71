"""常用意见: each logged-in user keeps its own phrases (add, reorder, delete, at most 30); the
opinion forms list them for one-click insertion (phrases.js) or copying (no JavaScript)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.db import connection
from django.template import engines
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import DepartmentFactory, OfficeFactory, OrganisationFactory, member
from tests.factories_approval import CountersignCall, phrases_for
from tests.portal.helpers import logged_in, text
from workflow.choices import Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, FrequentPhrase
from workflow.models.phrases import MAX_PHRASES_PER_USER
from workflow.services.phrases import phrase_add, phrase_delete, phrase_move, phrases_of

pytestmark = pytest.mark.django_db

LIST = reverse("portal:phrase_list")


def move_url(phrase) -> str:
    return reverse("portal:phrase_move", args=[phrase.pk])


def delete_url(phrase) -> str:
    return reverse("portal:phrase_delete", args=[phrase.pk])


def texts(user) -> list[str]:
    return [p.text for p in phrases_of(user)]


@pytest.fixture
def approver():
    return member(Role.DEPARTMENT_APPROVER, DepartmentFactory())


# The services ---------------------------------------------------------------------------------


def test_add_normalises_appends_and_refuses_bad_text(approver):
    phrase_add(by=approver, text="  同意。 ")
    phrase_add(by=approver, text="同意，建议\n加强资金监管。")
    assert texts(approver) == ["同意。", "同意，建议 加强资金监管。"]
    for bad in ("", "   ", "长" * 201, "同意。"):
        with pytest.raises(Invalid):
            phrase_add(by=approver, text=bad)
    phrase_add(by=approver, text="长" * 200)
    assert len(texts(approver)) == 3
    with pytest.raises(NotPermitted):
        phrase_add(by=AnonymousUser(), text="同意。")
    assert not AuditEvent.objects.exists()  # writing aids, not decisions


def test_at_most_thirty_phrases(approver):
    phrases_for(approver, *[f"意见{n}" for n in range(MAX_PHRASES_PER_USER)])
    with pytest.raises(Conflict, match="30"):
        phrase_add(by=approver, text="再一条。")
    assert FrequentPhrase.objects.filter(user=approver).count() == MAX_PHRASES_PER_USER
    # The limit is per user.
    other = member(Role.OFFICE_STAFF, OfficeFactory())
    phrase_add(by=other, text="再一条。")


def test_move_swaps_with_the_neighbour_and_stops_at_the_ends(approver):
    a, b, c = phrases_for(approver, "甲", "乙", "丙")
    phrase_move(phrase=c, by=approver, up=True)
    assert texts(approver) == ["甲", "丙", "乙"]
    phrase_move(phrase=a, by=approver, up=False)
    assert texts(approver) == ["丙", "甲", "乙"]
    phrase_move(phrase=c, by=approver, up=True)  # already first
    phrase_move(phrase=b, by=approver, up=False)  # already last
    assert texts(approver) == ["丙", "甲", "乙"]
    phrase_delete(phrase=a, by=approver)
    phrase_move(phrase=b, by=approver, up=True)
    assert texts(approver) == ["乙", "丙"]


def test_only_the_owner_moves_or_deletes(approver):
    (phrase,) = phrases_for(approver, "同意。")
    other = member(Role.DEPARTMENT_APPROVER, DepartmentFactory())
    for user in (other, AnonymousUser()):
        with pytest.raises(NotPermitted):
            phrase_move(phrase=phrase, by=user, up=True)
        with pytest.raises(NotPermitted):
            phrase_delete(phrase=phrase, by=user)
    assert texts(approver) == ["同意。"]


# The page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["approver", "staff", "applicant", "director"])
def test_every_logged_in_user_keeps_phrases(role):
    user = {
        "approver": lambda: member(Role.DEPARTMENT_APPROVER, DepartmentFactory()),
        "staff": lambda: member(Role.OFFICE_STAFF, OfficeFactory()),
        "applicant": lambda: member(Role.APPLICANT, OrganisationFactory()),
        "director": lambda: member(Role.OFFICE_DIRECTOR, OfficeFactory()),
    }[role]()
    client = logged_in(user)
    assert client.get(LIST).status_code == 200
    response = client.post(LIST, {"text": "经审核，同意。"})
    assert response.status_code == 302
    assert texts(user) == ["经审核，同意。"]
    assert "经审核，同意。" in text(client.get(LIST))


def test_anonymous_is_sent_to_log_in(approver):
    (phrase,) = phrases_for(approver, "同意。")
    for url, method in ((LIST, "get"), (LIST, "post"), (move_url(phrase), "post")):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    assert texts(approver) == ["同意。"]


@pytest.mark.parametrize("value", ["", "   ", "长" * 201])
def test_bad_text_is_a_form_error(approver, value):
    response = logged_in(approver).post(LIST, {"text": value})
    assert response.status_code == 200
    assert response.context["form"].errors["text"]
    assert texts(approver) == []


def test_duplicate_is_a_form_error(approver):
    phrases_for(approver, "同意。")
    response = logged_in(approver).post(LIST, {"text": "同意。"})
    assert response.status_code == 200
    assert "already in your list" in str(response.context["form"].errors["text"])


def test_the_limit_is_a_clear_message(approver):
    phrases_for(approver, *[f"意见{n}" for n in range(MAX_PHRASES_PER_USER)])
    client = logged_in(approver)
    page = client.get(LIST)
    assert page.context["full"] is True
    response = client.post(LIST, {"text": "再一条。"}, follow=True)
    assert response.status_code == 200
    assert "You already keep 30 frequent opinions" in text(response)
    assert len(texts(approver)) == MAX_PHRASES_PER_USER


def test_reorder_and_delete_through_the_page(approver):
    a, b, c = phrases_for(approver, "甲", "乙", "丙")
    client = logged_in(approver)
    assert client.post(move_url(c), {"direction": "up"}).status_code == 302
    assert texts(approver) == ["甲", "丙", "乙"]
    assert client.post(move_url(a), {"direction": "down"}).status_code == 302
    assert texts(approver) == ["丙", "甲", "乙"]
    response = client.post(move_url(a), {"direction": "sideways"}, follow=True)
    assert response.status_code == 200
    assert "up or down" in text(response)
    assert client.post(delete_url(b)).status_code == 302
    assert texts(approver) == ["丙", "甲"]
    assert client.get(move_url(a)).status_code == 405
    assert client.get(delete_url(a)).status_code == 405


def test_others_phrases_do_not_exist(approver):
    (phrase,) = phrases_for(approver, "同意。")
    other = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    assert other.post(move_url(phrase), {"direction": "down"}).status_code == 404
    assert other.post(delete_url(phrase)).status_code == 404
    assert "同意。" not in text(other.get(LIST))
    assert texts(approver) == ["同意。"]
    assert logged_in(approver).post(reverse("portal:phrase_delete", args=[99999])).status_code == (
        404
    )


def test_adding_returns_to_the_form_it_came_from_but_never_off_site(approver):
    client = logged_in(approver)
    inbox = reverse("portal:countersign_inbox")
    response = client.post(f"{LIST}?next={inbox}", {"text": "同意。", "next": inbox})
    assert response["Location"] == inbox
    response = client.post(LIST, {"text": "不同意。", "next": "https://evil.example/"})
    assert response["Location"] == LIST


# The include on the opinion form --------------------------------------------------------------


def test_the_countersign_form_lists_the_phrases_for_the_opinion_field():
    setup = CountersignCall(departments=2)
    setup.open()
    phrases_for(setup.approvers[0], "同意。", "同意，建议加强资金监管。")
    phrases_for(setup.approvers[1], "别人的意见。")
    url = reverse("portal:countersign_sign", args=[setup.countersign(0).pk])
    page = text(logged_in(setup.approvers[0]).get(url))
    assert 'data-phrases-for="id_opinion"' in page
    assert 'id="id_opinion"' in page
    assert '<li data-phrase="同意，建议加强资金监管。">' in page
    assert "portal/phrases.js" in page
    assert f"{LIST}?next=" in page
    assert "别人的意见。" not in page


def test_the_phrases_load_once_per_request_however_many_fields(approver):
    phrases_for(approver, "同意。", "不同意。")
    template = engines["django"].from_string(
        '{% include "portal/_phrases.html" with target="a" %}'
        '{% include "portal/_phrases.html" with target="b" %}'
    )
    request = RequestFactory().get("/")
    request.user = approver
    with CaptureQueriesContext(connection) as queries:
        html = template.render({"request": request}, request)
    phrase_queries = [q for q in queries.captured_queries if "frequentphrase" in q["sql"]]
    assert len(phrase_queries) == 1
    assert html.count('<li data-phrase="不同意。">') == 2
    assert 'data-phrases-for="a"' in html and 'data-phrases-for="b"' in html


def test_the_script_is_vendored():
    path = finders.find("portal/phrases.js")
    assert path
    with open(path, encoding="utf-8") as script:
        source = script.read()
    assert "data-phrases-for" in source
    assert "http" not in source  # nothing fetched from elsewhere
