"""Every page is reachable from the navigation of a role that may use it.

Two guarantees (issue 6):

1. For every role, each link of the main navigation (``<nav class="site-nav">`` in
   portal/templates/portal/base.html) answers 200 for that role.
2. Every parameterless GET page of the URL configuration (the ``portal`` and ``notifications``
   namespaces and the unnamespaced root; the Django admin is left out) is linked from the
   navigation of at least one role that may use it, or from a page that navigation links to
   (one level: "Copied to me" is linked from "My tasks"). Pages reached otherwise are in
   ALLOWED, with the reason; a new page that nobody can reach makes the test fail.

"May use" is found, not declared: a role may use a page when a GET by it answers 200. A page
that answers 405 to a role is POST-only and is not a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    DepartmentFactory,
    ExpertFactory,
    OfficeFactory,
    OrganisationFactory,
    ReviewExpertFactory,
    member,
)
from tests.portal.helpers import english, logged_in, text
from workflow.choices import Role

pytestmark = pytest.mark.django_db

# Namespaces walked; None is the root URLconf (login, logout, the language switch). Left out:
# "admin" (Django's configuration site, linked for is_staff users) and "api" (the REST API:
# JSON for other systems, and its schema and Swagger/ReDoc docs, reached from docs/ and the
# API's own clients, not from the portal's navigation).
NAMESPACES = (None, "portal", "notifications")

# Parameterless pages that no navigation links to, and how people reach them instead.
ALLOWED: dict[str, str] = {
    # The language switch is a POST form in every page's header; a GET only redirects back.
    "set_language": "language switch form in the header",
    # The login page is linked from the header ("Log in"), which the one-level crawl sees for
    # anonymous users; it is listed so that a GET redirect for logged-in users is not a gap.
    "login": "header 'Log in' link and every login_required redirect",
    # The second factor is asked for by portal.security.SecondFactorMiddleware, which sends the
    # roles that need it here from any page until they give it.
    "two_factor": "the second-factor middleware's redirect",
}

# Pages that a role may use but nothing links to: real gaps, reported, not fixed here. The
# test asserts they are still unlinked, so that a new link makes it fail until the entry goes.
KNOWN_UNLINKED: dict[str, str] = {}


# Roles --------------------------------------------------------------------------------------


def _roles() -> dict[str, Callable[[], object | None]]:
    def office_member(role: Role):
        return lambda: member(role, OfficeFactory())

    return {
        "anonymous": lambda: None,
        "applicant": lambda: member(Role.APPLICANT, OrganisationFactory()),
        "office staff": office_member(Role.OFFICE_STAFF),
        "office director": office_member(Role.OFFICE_DIRECTOR),
        "department approver": lambda: member(Role.DEPARTMENT_APPROVER, DepartmentFactory()),
        # An expert is whoever has a pool entry: with an employer in the system (and so an
        # expert membership) or declared by name only (no membership at all).
        "expert": lambda: ExpertFactory().user,
        "expert without unit": lambda: ReviewExpertFactory().user,
        "supervisor": office_member(Role.SUPERVISOR),
    }


ROLES = _roles()


def client_for(role: str) -> Client:
    user = ROLES[role]()
    return english(Client()) if user is None else logged_in(user)


# HTML ---------------------------------------------------------------------------------------

NAV = re.compile(r'<nav class="site-nav".*?</nav>', re.S)
HREF = re.compile(r'href="([^"#]*)')


def paths(html: str) -> set[str]:
    """The local paths linked from `html` (query strings and fragments dropped)."""
    found = set()
    for href in HREF.findall(html):
        parts = urlsplit(href.replace("&amp;", "&"))
        if not parts.netloc and parts.path.startswith("/"):
            found.add(parts.path)
    return found


def nav_links(client: Client) -> set[str]:
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    match = NAV.search(text(response))
    assert match, 'the home page has no <nav class="site-nav">'
    return paths(match.group(0))


# URL configuration --------------------------------------------------------------------------


def _walk(resolver: URLResolver, namespace: str | None) -> Iterator[tuple[str | None, object]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin", "api"):
                continue  # see NAMESPACES
            yield from _walk(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def _parameterless(entry: URLPattern) -> bool:
    pattern = entry.pattern
    converters = getattr(pattern, "converters", None)
    if converters is not None:  # path(): a RoutePattern
        return not converters and "<" not in str(pattern)
    return pattern.regex.groups == 0  # re_path()


def parameterless_pages() -> dict[str, str]:
    """{"namespace:name": path} of every named route without parameters."""
    pages = {}
    for namespace, entry in _walk(get_resolver(), None):
        if namespace not in NAMESPACES or not entry.name or not _parameterless(entry):
            continue
        name = f"{namespace}:{entry.name}" if namespace else entry.name
        try:
            pages[name] = reverse(name)
        except NoReverseMatch:  # a route whose full path still needs arguments
            continue
    return pages


# 1. Navigation links answer 200 ----------------------------------------------------------

# Navigation links that are shown to a role and refuse it: real bugs, reported, not fixed here.
# The test asserts they still fail, so that a fix makes it fail until the entry is removed.
KNOWN_BROKEN_NAV: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_navigation_link_answers_200_for_its_role(role):
    client = client_for(role)
    links = nav_links(client)
    assert reverse("portal:call_list") in links  # the public part is always there
    statuses = {link: client.get(link).status_code for link in sorted(links)}
    known = {reverse(name) for (r, name) in KNOWN_BROKEN_NAV if r == role}
    assert {link: s for link, s in statuses.items() if s != 200 and link not in known} == {}
    fixed = [link for link in known if statuses.get(link, 200) == 200]
    assert not fixed, f"fixed or no longer shown: remove {fixed} from KNOWN_BROKEN_NAV"


# 2. Every parameterless page is reachable -------------------------------------------------


def test_every_parameterless_page_is_linked_for_a_role_that_may_use_it():
    pages = parameterless_pages()
    # The walk finds what it should.
    for name in (
        "portal:call_list",
        "portal:task_list",
        "portal:copied_list",
        "notifications:list",
    ):
        assert name in pages
    assert "portal:call_detail" not in pages  # has a parameter
    assert set(ALLOWED) <= set(pages) and set(KNOWN_UNLINKED) <= set(pages), "stale entries"

    status: dict[str, dict[str, int]] = {name: {} for name in pages}
    reached: dict[str, set[str]] = {}
    for role in ROLES:
        client = client_for(role)
        links = nav_links(client)
        seen = set(links)
        for link in links:  # one level below the navigation
            response = client.get(link)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                seen |= paths(text(response))
        reached[role] = seen
        for name, path in pages.items():
            status[name][role] = client.get(path).status_code

    users = {name: {r for r, s in by_role.items() if s == 200} for name, by_role in status.items()}
    assert users["portal:call_list"] == set(ROLES)
    assert users["portal:office_queue"] == {"office staff", "office director"}

    # A parameterless route no role may GET must be POST-only (405 for a role it is for).
    neither = {
        name: sorted(set(by_role.values()))
        for name, by_role in status.items()
        if not users[name] and 405 not in by_role.values() and name not in ALLOWED
    }
    assert neither == {}, "parameterless routes that are neither a page nor POST-only"

    unreached = {
        name: sorted(users[name])
        for name, path in pages.items()
        if users[name] and not any(path in reached[role] for role in users[name])
    }
    gaps = {n: r for n, r in unreached.items() if n not in ALLOWED and n not in KNOWN_UNLINKED}
    assert gaps == {}, "pages nobody can reach from the navigation: link them or allow-list them"
    fixed = [name for name in KNOWN_UNLINKED if name not in unreached]
    assert not fixed, f"now linked: remove {fixed} from KNOWN_UNLINKED"
