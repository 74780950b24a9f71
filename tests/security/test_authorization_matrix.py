"""The authorization matrix (issue 7): every URL against every subject, 0 leaks.

1. The walk: every named route of the URL configuration has a row in tests/security/matrix.py,
   and every row names a route that exists (the Django admin is one rule, ADMIN_RULE).
2. Per row: for every subject, GET and/or POST as the row says; allowed subjects are not refused,
   the others are refused (302 to login / 401 / 403 / 404) and their POSTs change nothing.
   A supervisor's POST changes nothing anywhere (DESIGN §3: supervisors may not change anything).
   No GET writes to the audit chain; no answer shows an outsider organisation A's non-public
   titles, nor the public or an applicant the assigned expert's name.
3. The Django admin rule; 4. the world is what the rows assume, and the checks work.
Each leak is printed as ``LEAK <method> <url name> <subject> -> <status>``; a subject the table
allows but the view refuses as ``REFUSED <method> <url name> <subject> -> <status>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.portal.helpers import english
from tests.security.fingerprint import fingerprint
from tests.security.matrix import ADMIN_RULE, ROWS, SUPERVISOR_WRITES, Row
from tests.security.world import OUTSIDERS, SECRET, SUBJECTS

pytestmark = pytest.mark.django_db

NAMESPACES = (None, "portal", "notifications", "api")
LOGIN_PATHS = (reverse("login"), reverse("admin:login"))


# 1. The walk --------------------------------------------------------------------------------


def _walk(resolver: URLResolver, namespace: str | None) -> Iterator[tuple[str | None, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def routes() -> dict[str, str | None]:
    """{"namespace:name": namespace} of every route of the URL configuration."""
    found: dict[str, str | None] = {}
    for namespace, entry in _walk(get_resolver(), None):
        name = entry.name or f"<unnamed {entry.pattern}>"
        found[f"{namespace}:{name}" if namespace else name] = namespace
    return found


def test_every_route_has_a_row_and_every_row_a_route():
    found = routes()
    assert "portal:call_list" in found and "api:call_list" in found  # the walk works
    admin = {name for name, ns in found.items() if ns == "admin"}
    assert admin, ADMIN_RULE  # the rule covers something
    unknown = {name for name, ns in found.items() if ns not in (*NAMESPACES, "admin")}
    assert unknown == set(), "a new namespace: walk it here and add its rows"
    covered = set(found) - admin
    assert sorted(covered - set(ROWS)) == [], "routes without a row in tests/security/matrix.py"
    assert sorted(set(ROWS) - covered) == [], "rows of routes that no longer exist"


# 2. The rows --------------------------------------------------------------------------------


def client_for(world, subject: str) -> Client:
    """An English client carrying the subject's session (made once, in conftest.py)."""
    client = english(Client())
    if subject in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[subject]
    return client


def _to_login(response) -> bool:
    if response.status_code not in (301, 302, 303):
        return False
    return urlsplit(response["Location"]).path in LOGIN_PATHS


def refused(response, subject: str, row: Row) -> bool:
    """Anonymous: to the login page (portal) or 401/403 (API); a 404 tells nobody anything."""
    if subject == "anonymous":
        if row.name.startswith("api:"):
            return response.status_code in (401, 403, 404)
        return _to_login(response) or response.status_code == 404
    return response.status_code in (403, 404)


def may_get(response) -> bool:
    if response.status_code == 200:
        return True
    return response.status_code in (301, 302, 303) and not _to_login(response)


def may_post(response) -> bool:
    return not (_to_login(response) or response.status_code in (401, 403, 404))


def show(response) -> str:
    status = str(response.status_code)
    if response.status_code in (301, 302, 303):
        status += f" {response['Location']}"
    return status


# Pages that list the whole active pool by name: "Pool names are not secret; only a drawn panel
# is" (workflow.selectors.experts.avoidance_candidates), so the expert's name proves nothing there.
POOL_PAGES = {"portal:avoidance_requests"}


def secrets_in(response, world=None, subject: str = "", name: str = "") -> list[str]:
    """What a text page or JSON answer shows that the subject may not read (files are not
    searched): organisation A's SECRET titles for OUTSIDERS, and the assigned expert's name for
    applicants and the public (DESIGN §3: they may not see expert identities). Without a
    subject, every SECRET title found."""
    secrets = list(SECRET.values()) if not subject or subject in OUTSIDERS else []
    applicants = ("anonymous", "applicant", "other_applicant")
    if world is not None and subject in applicants and name not in POOL_PAGES:
        secrets.append(world.objects["expert"].name)
    if not secrets:
        return []
    kind = response.get("Content-Type", "")
    if response.status_code != 200 or not kind.startswith(("text/", "application/json")):
        return []
    if getattr(response, "streaming", False):
        return []
    body = response.content.decode(errors="replace")
    return [secret for secret in secrets if secret in body]


def audit_head() -> tuple:
    from workflow.models import AuditHead

    return tuple(AuditHead.objects.values_list("sequence", "hash"))


def _get(client: Client, url: str):
    """A GET in a savepoint rolled back afterwards, so that no subject's request changes what
    the next one sees; it returns whether the GET wrote to the audit chain (a GET is safe: it
    records no decision)."""
    with transaction.atomic():
        before = audit_head()
        response = client.get(url)
        wrote = audit_head() != before
        transaction.set_rollback(True)
    return response, wrote


@pytest.mark.parametrize("name", sorted(ROWS))
def test_row(world, name, capsys):
    row = ROWS[name]
    url = row.path or reverse(name, kwargs=row.url_kwargs(world))
    api = name.startswith("api:")
    leaks: list[str] = []

    def leak(method: str, subject: str, what: str) -> None:
        leaks.append(f"LEAK {method} {name} {subject} -> {what}")

    # Every request is rolled back, so one fingerprint of the world serves the whole row.
    base = fingerprint() if "POST" in row.methods else None
    for subject in SUBJECTS:
        client = client_for(world, subject)
        allowed = subject in row.allowed
        gated = subject in row.gate
        if "GET" in row.methods:
            response, wrote = _get(client, url)
            if wrote:
                leak("GET", subject, f"{show(response)} and wrote to the audit chain")
            if allowed and not may_get(response):
                leaks.append(f"REFUSED GET {name} {subject} -> {show(response)}")
            elif not allowed and not refused(response, subject, row):
                leak("GET", subject, show(response))
            for secret in secrets_in(response, world, subject, name):
                leak("GET", subject, f"{show(response)} showing {secret!r}")
        elif allowed or gated or subject == "anonymous":
            # A POST-only route serves no page (the refused subjects are refused on POST).
            response, _wrote = _get(client, url)
            if response.status_code == 200:
                leak("GET", subject, "200 on a POST-only route")
        if "POST" in row.methods:
            data = row.post(world) if row.post else None
            watched = not allowed or subject == "supervisor"  # (gated subjects are not allowed)
            with transaction.atomic():
                if api:
                    response = client.post(url, data or {}, content_type="application/json")
                else:
                    response = client.post(url, data or {})
                after = fingerprint() if watched else None
                transaction.set_rollback(True)
            if allowed and not may_post(response):
                leaks.append(f"REFUSED POST {name} {subject} -> {show(response)}")
            elif not allowed and not gated and not refused(response, subject, row):
                leak("POST", subject, show(response))
            for secret in secrets_in(response, world, subject, name):
                leak("POST", subject, f"{show(response)} showing {secret!r}")
            exempt = subject == "supervisor" and name in SUPERVISOR_WRITES
            if watched and after != base and not exempt:
                changed = sorted(k for k in base if base[k] != after.get(k))
                leak("POST", subject, f"{show(response)} and changed {changed}")
    if leaks:
        with capsys.disabled():
            print("\n" + "\n".join(leaks))
    assert leaks == []


# 3. The Django admin: one rule -------------------------------------------------------------


@pytest.mark.parametrize("subject", SUBJECTS)
def test_no_subject_gets_into_the_admin(world, subject):
    """ADMIN_RULE: the admin index and a model page send every subject to the admin login."""
    client = client_for(world, subject)
    for url in (reverse("admin:index"), reverse("admin:workflow_call_changelist")):
        response = client.get(url)
        assert response.status_code == 302, (url, subject, response.status_code)
        assert urlsplit(response["Location"]).path == reverse("admin:login"), (url, subject)


def test_an_office_admin_gets_into_the_admin(world):
    """The rule's other half, so that the refusals above are not an admin that lets nobody in:
    the staff of office A made is_staff and put in the office_admin group."""
    from workflow.roles import office_admin_group

    user = world.users["staff"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(office_admin_group())
    # config/test_settings.py switches the second factor off; tests/portal/test_security.py
    # covers the admin (and every page) behind it.
    client = client_for(world, "staff")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:workflow_call_changelist")).status_code in (200, 403)


# 4. The world is what the rows assume -------------------------------------------------------


def test_the_world_is_what_the_matrix_assumes(world):
    from workflow.choices import InvitationState

    o, users = world.objects, world.users
    assert set(users) == set(SUBJECTS)
    # The assigned expert accepted an invitation and holds sheets on A's application.
    assert o["invitation"].state == InvitationState.ACCEPTED
    assert o["sheet_done"].expert.user == users["assigned_expert"]
    assert o["sheet_done"].application.organisation == o["organisation"]
    # The approver's department has a countersign on the call; the other one has none.
    departments = set(o["countersign_round"].countersigns.values_list("department", flat=True))
    assert o["department"].pk in departments
    other = users["other_approver"].memberships.get().department
    assert other.office == o["office"] and other.pk not in departments
    # Director and supervisor belong to office A.
    for subject in ("staff", "director", "supervisor"):
        assert users[subject].memberships.get().office == o["office"]
    # The secret check sees what it looks for: the owner's list shows its draft's title.
    response = client_for(world, "applicant").get(reverse("portal:application_list"))
    assert SECRET["draft"] in secrets_in(response)
    response = client_for(world, "staff").get(reverse("portal:office_queue"))
    assert SECRET["submitted"] in secrets_in(response)


def test_the_checks_tell_refusals_from_answers():
    """The helpers the rows rely on, on plain responses."""
    from django.http import HttpResponse, HttpResponseRedirect

    row = ROWS["portal:application_list"]
    api_row = ROWS["api:application_list"]
    to_login = HttpResponseRedirect(reverse("login") + "?next=/x/")
    elsewhere = HttpResponseRedirect("/applications/1/")
    assert refused(to_login, "anonymous", row) and not refused(to_login, "staff", row)
    assert refused(HttpResponse(status=401), "anonymous", api_row)
    assert refused(HttpResponse(status=403), "staff", row)
    assert refused(HttpResponse(status=404), "staff", row)
    assert not refused(HttpResponse(status=200), "staff", row)
    assert not refused(elsewhere, "staff", row)
    assert may_get(HttpResponse()) and may_get(elsewhere) and not may_get(to_login)
    assert may_post(HttpResponse(status=400)) and not may_post(HttpResponse(status=403))
