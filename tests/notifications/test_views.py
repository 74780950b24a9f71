"""The notification pages: own notifications only, constant queries, forms without script."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.kinds import Kind
from notifications.messenger import notify
from notifications.models import Delivery, Notification, NotificationPreference
from tests.factories import UserFactory
from tests.portal.helpers import logged_in, text

pytestmark = pytest.mark.django_db


def add(user, n):
    with transaction.atomic():
        for i in range(n):
            notify(Kind.EXPERT_INVITED, [user], None, call=f"榜单{i}")
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        reverse("notifications:list"),
        reverse("portal:call_list"),  # any page: the header badge
    ],
)
def test_list_page_and_badge_cost_constant_queries(url):
    user = UserFactory()
    client = logged_in(user)
    add(user, 2)
    small = queries(client, url)
    add(user, 4)
    assert queries(client, url) == small


def test_the_list_shows_only_the_users_own_notifications():
    alice, bob = UserFactory(), UserFactory()
    add(alice, 1)
    add(bob, 1)
    page = logged_in(alice).get(reverse("notifications:list"))
    assert [n.recipient_id for n in page.context["notifications"]] == [alice.pk]


def test_the_badge_counts_unread_and_carries_the_newest_id():
    user = UserFactory()
    rows = add(user, 3)
    html = text(logged_in(user).get(reverse("portal:call_list")))
    assert f'data-last-id="{rows[-1].pk}"' in html
    assert 'data-unread-count title="Unread">3</span>' in html
    assert "/static/notifications/notifications.js" in html


def test_pages_require_login():
    anonymous = Client()
    for url in (reverse("notifications:list"), reverse("notifications:open", args=[1])):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for url in (reverse("notifications:read", args=[1]), reverse("notifications:read_all")):
        assert anonymous.post(url).status_code == 302
    assert "data-notifications-badge" not in text(anonymous.get(reverse("portal:call_list")))


def test_marking_read_only_works_on_ones_own_notifications():
    alice, bob = UserFactory(), UserFactory()
    (mine,) = add(alice, 1)
    (theirs,) = add(bob, 1)
    client = logged_in(alice)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    response = client.post(
        reverse("notifications:read", args=[mine.pk]), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_marking_read_answers_json_for_the_script():
    user = UserFactory()
    first, _second = add(user, 2)
    response = logged_in(user).post(
        reverse("notifications:read", args=[first.pk]), HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"unread": 1}


def test_opening_marks_read_and_follows_the_link():
    user = UserFactory()
    with transaction.atomic():
        (n,) = notify(Kind.EXPERT_INVITED, [user], None, call="x")
    Notification.objects.filter(pk=n.pk).update(url="/expert/invitations/")
    response = logged_in(user).get(reverse("notifications:open", args=[n.pk]))
    assert response["Location"] == "/expert/invitations/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_all_read_stops_at_what_the_page_showed():
    user = UserFactory()
    rows = add(user, 3)
    client = logged_in(user)
    client.post(reverse("notifications:read_all"), {"up_to": rows[1].pk})
    unread = list(Notification.objects.filter(recipient=user, read_at__isnull=True))
    assert unread == [rows[2]]
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_preferences_are_saved_for_the_user():
    user = UserFactory()
    client = logged_in(user)
    page = text(client.get(reverse("notifications:list")))
    assert 'value="in_app_email"' in page and "checked" in page
    response = client.post(
        reverse("notifications:preferences"), {"delivery": Delivery.IN_APP, "language": "en"}
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.delivery, pref.language) == (Delivery.IN_APP, "en")
    client.post(reverse("notifications:preferences"), {"delivery": "carrier pigeon"})
    pref.refresh_from_db()
    assert pref.delivery == Delivery.IN_APP


def test_the_list_page_is_chinese_by_default():
    user = UserFactory()
    add(user, 1)
    html = text(logged_in(user, lang=None).get(reverse("notifications:list")))
    assert '<html lang="zh-hans">' in html
