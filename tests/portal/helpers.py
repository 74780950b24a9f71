"""Helpers for the portal tests: logged-in clients and form posts."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from workflow.choices import FundingSource
from workflow.models import AuditEvent


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def logged_in(user, *, lang: str | None = "en") -> Client:
    client = Client()
    client.force_login(user)
    if lang == "en":
        english(client)
    return client


def application_data(**overrides) -> dict:
    """A valid application form post; override or drop (value None) single fields."""
    data = {
        "title": "新能源汽车实训基地建设项目",
        "construction_mode": "school_led",
        "functions": ["training", "innovation"],
        "plan": "建设实训车间两处，年培训学员1000人次。",
        "project_lead": "王五",
        "contact_phone": "0351-7654321",
        f"funding_{FundingSource.SELF_RAISED.value}": "300.00",
        f"funding_{FundingSource.GOVERNMENT_INVESTMENT.value}": "",
        f"funding_{FundingSource.SPECIAL_BONDS.value}": "",
        f"funding_{FundingSource.SOCIAL_CAPITAL.value}": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audit_count() -> int:
    return AuditEvent.objects.count()


def text(response) -> str:
    return response.content.decode()
