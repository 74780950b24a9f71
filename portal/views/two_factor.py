"""The second factor (TOTP, RFC 6238) for the roles that must give it (portal.security).

The first visit enrols: the page shows a QR code and the same secret as text (for an
authenticator app on a phone, or a desktop one on an office PC without a camera), and the first
correct code confirms the device. Later visits only ask for the code. Wrong codes are throttled
by django-otp (the wait doubles after each failure)."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from workflow.services.accounts import second_factor_enrol

from ..security import needs_second_factor


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=gettext_lazy("Six-digit code from your authenticator"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the six digits your authenticator shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 8}
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not needs_second_factor(user) or user.is_verified():
        return redirect(_next(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=_("Authenticator"), confirmed=False)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        allowed, _data = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", _("Too many wrong codes. Wait a minute, then try again."))
        elif device.verify_token(form.cleaned_data["token"].strip()):
            if enrolling:
                second_factor_enrol(device=device, by=user)
            otp_login(request, device)
            return redirect(_next(request))
        else:
            form.add_error("token", _("The code is wrong or has expired. Enter the current one."))
    context = {"form": form, "enrolling": enrolling, "next": _next(request)}
    if enrolling:
        secret = base64.b32encode(device.bin_key).decode()
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        context["qr_svg"] = _qr_svg(device.config_url)
    return render(request, "registration/two_factor.html", context)
