"""Login hardening that the views share: the client address for the lockout, and the second
factor (TOTP) that office staff, directors, department approvers and superusers must give
before they may use the portal (docs/operations.md, issue 7)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from workflow.audit import client_ip_from_request
from workflow.choices import Role

# The roles whose decisions change an application's fate.
SECOND_FACTOR_ROLES = (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR, Role.DEPARTMENT_APPROVER)


def client_ip(request: HttpRequest) -> str | None:
    """The address django-axes counts failures against: the same one the audit trail records."""
    return client_ip_from_request(request, settings.TRUSTED_PROXY_COUNT)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked-out login: a page in the user's language (429), or JSON
    for the API's token endpoint."""
    minutes = max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))
    limit = settings.AXES_FAILURE_LIMIT
    if request.path.startswith("/api/"):
        message = _("Too many failed logins; try again in %(minutes)d minutes.") % {
            "minutes": minutes
        }
        return JsonResponse({"detail": message}, status=429)
    context = {"failure_limit": limit, "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


def needs_second_factor(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.memberships.filter(role__in=SECOND_FACTOR_ROLES).exists()


def _exempt(path: str) -> bool:
    """Pages a user without the second factor may still open: to give it, or to leave."""
    open_paths = (
        reverse("two_factor"),
        reverse("logout"),
        reverse("login"),
        reverse("set_language"),
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}",
    )
    return path.startswith(open_paths)


# An idle session is renewed at most this often, so that keeping it alive costs one write per
# few minutes of activity, not one per request (SESSION_SAVE_EVERY_REQUEST would).
SESSION_TOUCH_SECONDS = 300
_TOUCHED = "_touched"


def touch_session_at_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Logging in is activity: the session starts touched, so the next request need not save it."""
    if request is not None and hasattr(request, "session"):
        request.session[_TOUCHED] = int(time.time())


class SessionIdleMiddleware:
    """Sessions expire SESSION_COOKIE_AGE seconds after the last activity (give or take
    SESSION_TOUCH_SECONDS), not after the login."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            if now - session.get(_TOUCHED, 0) >= SESSION_TOUCH_SECONDS:
                session[_TOUCHED] = now  # marks it modified: saved with a new expiry
        return self.get_response(request)


class SecondFactorMiddleware:
    """Sends a user who needs the second factor and has not given it in this session to the
    TOTP page; to the API such a session is anonymous. Token-authenticated API clients never
    reach this check with a user: the token endpoint asks them for the code itself."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.REQUIRE_SECOND_FACTOR
            and user.is_authenticated
            and not user.is_verified()
            and not _exempt(request.path)
            and needs_second_factor(user)
        ):
            if request.path.startswith("/api/"):
                # The API sees such a session as anonymous: public endpoints answer, the others
                # refuse with their documented 401/403.
                request.user = AnonymousUser()
                return self.get_response(request)
            target = reverse("two_factor")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
