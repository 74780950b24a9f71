"""Chinese by default, English on request, through the language switch."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.portal.helpers import text

pytestmark = pytest.mark.django_db


def test_chinese_is_the_default_language():
    response = Client().get(reverse("portal:home"))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in text(response)
    assert response["Content-Language"] == "zh-hans"


def test_language_switch_gives_english():
    client = Client()
    home = client.get(reverse("portal:home"))
    assert reverse("set_language") in text(home)

    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("portal:call_list")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:call_list")

    english = client.get(reverse("portal:call_list"))
    assert '<html lang="en">' in text(english)
    assert english["Content-Language"] == "en"
    assert "Published calls" in text(english)

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in text(client.get(reverse("portal:home")))


def test_times_are_shown_in_beijing_time(db):
    import datetime as dt

    from tests.factories import published_call

    closes = dt.datetime(2099, 6, 30, 9, 30, tzinfo=dt.UTC)  # 17:30 in Beijing
    call = published_call(closes_at=closes)
    body = text(Client().get(reverse("portal:call_detail", args=[call.pk])))
    assert "2099-06-30 17:30" in body
