"""The matrix world, built once per module inside a transaction rolled back at the end."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from tests.security.world import World, build

BACKEND = "django.contrib.auth.backends.ModelBackend"


def sessions_of(world: World) -> dict[str, str]:
    """A session key per logged-in subject, made once: every test's client reuses it (each
    request is rolled back, so a session is never changed for the next test)."""
    keys = {}
    for subject, user in world.users.items():
        if user is not None:
            client = Client()
            # As tests.portal.helpers.logged_in does, with the backend named: the first one in
            # AUTHENTICATION_BACKENDS is django-axes' guard, which authenticates nobody itself.
            client.force_login(user, backend=BACKEND)
            keys[subject] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    with django_db_blocker.unblock(), transaction.atomic():
        made = build()
        made.sessions = sessions_of(made)
        yield made
        transaction.set_rollback(True)
