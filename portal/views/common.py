"""What every portal view shares: role gates and the way refused decisions are shown."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from workflow import access
from workflow.errors import DomainError
from workflow.selectors import OFFICE_ROLES

PAGE_SIZE = 25

View = Callable[..., HttpResponse]


def error_html(exc: DomainError) -> str | SafeString:
    """The service's message, followed by every problem it listed (escaped)."""
    if not exc.problems:
        return exc.message
    items = format_html_join("", "<li>{}</li>", ((p,) for p in exc.problems))
    return format_html('{}<ul class="problems">{}</ul>', exc.message, items)


def report(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, error_html(exc))


def add_form_errors(form: Form, exc: DomainError, field: str | None = None) -> None:
    form.add_error(field, exc.message)
    for problem in exc.problems:
        form.add_error(field, problem)


def office_required(view: View) -> View:
    """Office staff and directors only; anyone else logged in gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.office_ids(request.user, OFFICE_ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def applicant_required(view: View) -> View:
    """Members of an applicant organisation only; anyone else logged in gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.organisation_ids(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def paginate(request: HttpRequest, queryset: Any, size: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, size).get_page(request.GET.get("page"))
