"""The notification list, mark-read and preferences. Every form works without JavaScript;
notifications.js posts the same forms and reads the JSON answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from notifications import selectors, services
from notifications.forms import PreferenceForm
from notifications.models import DEFAULT_DELIVERY, DEFAULT_LANGUAGE, Notification

PAGE_SIZE = 25


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("notifications:list")
    return redirect(target)


def _preference_form(user) -> PreferenceForm:
    pref = getattr(user, "notification_preference", None)
    return PreferenceForm(
        initial={
            "delivery": pref.delivery if pref else DEFAULT_DELIVERY,
            "language": pref.language if pref else DEFAULT_LANGUAGE,
        }
    )


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "notifications": page.object_list,
            "preference_form": _preference_form(request.user),
            "state": selectors.badge(request.user),
        },
    )


@require_GET
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link (from the list or an email) and mark it read."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(notification=notification, by=request.user)
    return redirect(notification.url or reverse("notifications:list"))


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(notification=notification, by=request.user)
    if _wants_json(request):
        return JsonResponse({"unread": selectors.unread_count(request.user.pk)})
    return _back(request)


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    try:
        up_to = int(request.POST["up_to"]) if request.POST.get("up_to") else None
    except ValueError:
        up_to = None
    services.notifications_mark_all_read(by=request.user, up_to=up_to)
    if _wants_json(request):
        return JsonResponse({"unread": selectors.unread_count(request.user.pk)})
    return _back(request)


@require_POST
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferenceForm(request.POST)
    if form.is_valid():
        services.preference_update(by=request.user, **form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
    else:
        messages.error(request, _("Choose how to be told and a language."))
    return redirect("notifications:list")
