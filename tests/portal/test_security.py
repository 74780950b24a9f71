"""Hardening (issue 7): login lockout, the second factor for the deciding roles, Argon2, the
Content-Security-Policy and security headers, idle session expiry, and `check --deploy`."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import config.settings as production
from tests.factories import PASSWORD, DepartmentFactory, OfficeFactory, OrganisationFactory, member
from tests.portal.helpers import english, logged_in
from workflow.choices import Role
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


# Lockout (django-axes) --------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_user_name_from_that_address():
    user = member(Role.APPLICANT, OrganisationFactory())
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, user.username, "wrong")
        assert response.status_code == 200  # the form again, with its error
    locked = login(client, user.username, "wrong")
    assert locked.status_code == 429
    assert "登录已锁定" in locked.content.decode()
    # Even the right password is refused while the lock lasts, and nobody is logged in.
    assert login(client, user.username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user name from the same address is not locked.
    other = member(Role.APPLICANT, OrganisationFactory())
    assert login(Client(), other.username, PASSWORD).status_code == 302
    # The same user name from another address is not locked either.
    assert login(Client(), user.username, PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_the_lock_ends_by_itself():
    user = member(Role.APPLICANT, OrganisationFactory())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), user.username, "wrong")
    assert login(Client(), user.username, PASSWORD).status_code == 429
    later = timezone.now() + dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    with time_machine.travel(later):
        assert login(Client(), user.username, PASSWORD).status_code == 302


def test_a_success_resets_the_count():
    user = member(Role.APPLICANT, OrganisationFactory())
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), user.username, "wrong")
    assert login(Client(), user.username, PASSWORD).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), user.username, "wrong")
    assert login(Client(), user.username, PASSWORD).status_code == 302


def test_the_api_token_endpoint_is_locked_the_same_way():
    user = member(Role.APPLICANT, OrganisationFactory())
    url = reverse("api:token")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(url, {"username": user.username, "password": "wrong"})
    response = Client().post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "detail" in response.json()


# Second factor (django-otp, TOTP) ----------------------------------------------------------

DECIDING = [
    pytest.param(lambda: member(Role.OFFICE_STAFF, OfficeFactory()), id="office staff"),
    pytest.param(lambda: member(Role.OFFICE_DIRECTOR, OfficeFactory()), id="office director"),
    pytest.param(
        lambda: member(Role.DEPARTMENT_APPROVER, DepartmentFactory()), id="department approver"
    ),
]


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def second_factor_on(settings):
    settings.REQUIRE_SECOND_FACTOR = True


@pytest.mark.parametrize("make_user", DECIDING)
def test_the_deciding_roles_enrol_a_second_factor_before_anything_else(second_factor_on, make_user):
    user = make_user()
    client = logged_in(user)
    response = client.get(reverse("portal:task_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor"))
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "<svg" in body and "otp-secret" in body  # QR code and the key as text
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed

    wrong = client.post(reverse("two_factor"), {"token": "000000", "next": "/tasks/"})
    assert wrong.status_code == 200 and "The code is wrong" in wrong.content.decode()
    assert client.get(reverse("portal:task_list")).status_code == 302

    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above made the next try wait
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post(reverse("two_factor"), {"token": code_for(device), "next": "/tasks/"})
    assert right.status_code == 302 and right["Location"] == "/tasks/"
    assert client.get(reverse("portal:task_list")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(
        action="auth.second_factor_enrolled", actor=user, object_id=str(device.pk)
    ).exists()


def test_a_later_login_asks_for_the_code_only(second_factor_on):
    user = member(Role.OFFICE_STAFF, OfficeFactory())
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = logged_in(user)
    page = client.get(reverse("two_factor"))
    body = page.content.decode()
    assert "otp-secret" not in body and "<svg" not in body  # the key is never shown again
    assert client.post(reverse("two_factor"), {"token": code_for(device)}).status_code == 302
    assert client.get(reverse("portal:office_queue")).status_code == 200


def test_a_foreign_next_address_is_not_followed(second_factor_on):
    user = member(Role.OFFICE_STAFF, OfficeFactory())
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = logged_in(user)
    response = client.post(
        reverse("two_factor"), {"token": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_malformed_codes_get_a_message(second_factor_on):
    user = member(Role.OFFICE_STAFF, OfficeFactory())
    client = logged_in(user)
    for token in ["", "12345", "abcdef", "1" * 500]:
        response = client.post(reverse("two_factor"), {"token": token})
        assert response.status_code == 200
        assert "Enter the six digits" in response.content.decode() or "required" in (
            response.content.decode()
        )


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(lambda: member(Role.APPLICANT, OrganisationFactory()), id="applicant"),
        pytest.param(lambda: member(Role.SUPERVISOR, OfficeFactory()), id="supervisor"),
    ],
)
def test_other_roles_are_not_asked(second_factor_on, make_user):
    client = logged_in(make_user())
    assert client.get(reverse("portal:task_list")).status_code == 200
    assert client.get(reverse("two_factor")).status_code == 302  # nothing to give


def test_to_the_api_an_unverified_session_is_anonymous(second_factor_on):
    client = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    assert client.get("/api/v1/office/calls/").status_code in (401, 403)
    assert client.get("/api/v1/calls/").status_code == 200  # public endpoints still answer


def token_request(user, **extra):
    data = {"username": user.username, "password": PASSWORD, **extra}
    return Client().post(reverse("api:token"), data)


def test_a_token_for_a_deciding_role_needs_the_current_code(second_factor_on):
    staff = member(Role.OFFICE_STAFF, OfficeFactory())
    not_enrolled = token_request(staff)
    assert not_enrolled.status_code == 403 and "登记第二重身份验证" in not_enrolled.json()["detail"]
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    assert token_request(staff).status_code == 400
    assert token_request(staff, otp_token="000000").status_code == 400
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    granted = token_request(staff, otp_token=code_for(device))
    assert granted.status_code == 200 and granted.json()["token"]


def test_an_applicant_gets_a_token_without_a_code(second_factor_on):
    applicant = member(Role.APPLICANT, OrganisationFactory())
    assert token_request(applicant).status_code == 200


def test_the_demo_and_the_tests_may_switch_it_off():
    assert settings.REQUIRE_SECOND_FACTOR is False  # config/test_settings.py
    client = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    assert client.get(reverse("portal:office_queue")).status_code == 200


# Passwords, headers, sessions ----------------------------------------------------------------


def test_passwords_are_hashed_with_argon2_in_production():
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        assert make_password("一个足够长的口令").startswith("argon2$argon2id$")


def test_every_page_carries_a_strict_content_security_policy():
    response = english(Client()).get(reverse("portal:home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_or_style():
    body = Client().get(reverse("portal:home")).content.decode()
    assert "<style" not in body and " style=" not in body
    assert "<script>" not in body  # every script has a src


@override_settings(SESSION_COOKIE_AGE=production.SESSION_COOKIE_AGE)
def test_a_session_ends_after_an_idle_hour_but_not_while_used():
    user = member(Role.APPLICANT, OrganisationFactory())
    client = Client()
    assert login(client, user.username, PASSWORD).status_code == 302
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(minutes=50)):
        assert client.get(reverse("portal:application_list")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=100)):
        assert client.get(reverse("portal:application_list")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=100 + 61)):
        response = client.get(reverse("portal:application_list"))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_uploads_are_not_served_from_a_public_address():
    assert Client().get(f"{settings.MEDIA_URL}attachments/x.pdf").status_code == 404


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_DEBUG",
            "DJANGO_HTTPS",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env |= {
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "jiebang.example.gov.cn",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_unverified_deciding_user_reaches_no_page_but_the_second_factor(second_factor_on):
    """Every parameterless page of the portal (the URL configuration, walked as the navigation
    test walks it) sends office staff who have not given their code to the TOTP page."""
    from tests.portal.test_navigation import parameterless_pages

    client = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    open_pages = {"two_factor", "login", "logout", "set_language"}
    checked = 0
    for name, path in parameterless_pages().items():
        if name in open_pages:
            continue
        response = client.get(path)
        assert response.status_code == 302, (name, response.status_code)
        assert response["Location"].startswith(reverse("two_factor")), name
        checked += 1
    assert checked > 30


def test_the_api_docs_work_under_the_policy_with_inline_styles_only_there():
    docs = Client().get(reverse("api:docs"))
    assert docs.status_code == 200
    assert "<script>" not in docs.content.decode()  # Swagger UI's start-up script is a file
    assert "'unsafe-inline'" in docs["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    assert (
        "unsafe-inline" not in docs["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    home = Client().get(reverse("portal:home"))
    assert "unsafe-inline" not in home["Content-Security-Policy"]
