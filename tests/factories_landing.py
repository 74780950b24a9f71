"""Builders for the landing (揭榜落地) tests: an approved application, the subsidy rules, and an
agreement through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from tests.factories import OrganisationFactory, complete_application, force_state, member
from workflow.choices import ApplicationState, FundingSource, Role
from workflow.models import Agreement, Application, SubsidyRule
from workflow.rules.subsidies import WUCHENG_RULES, WUCHENG_TALENT_GROUP

START = dt.date(2026, 1, 1)


def approved_application(**kwargs: Any) -> Application:
    """An approved application of a selection call (state forced: set-up only)."""
    application = complete_application(**kwargs)
    force_state(application, ApplicationState.APPROVED)
    return application


def landing_parties(**kwargs: Any) -> tuple[Application, Any, Any]:
    """(approved application, staff of its call's office, applicant of its organisation)."""
    application = approved_application(**kwargs)
    staff = member(Role.OFFICE_STAFF, application.call.office)
    applicant = member(Role.APPLICANT, application.organisation)
    return application, staff, applicant


def load_wucheng_rules() -> list[SubsidyRule]:
    """Wucheng's two rules as rows, as `manage.py load_subsidy_rules` enters them."""
    rows = []
    for rule in WUCHENG_RULES:
        figures = asdict(rule)
        code = figures.pop("code")
        rows.append(SubsidyRule.objects.update_or_create(code=code, defaults=figures)[0])
    return rows


def market_recruitment_rule() -> SubsidyRule:
    """The market-based recruitment reward (市场化引才奖励), exclusive with the training reward;
    its figures are made up for the tests."""
    return SubsidyRule.objects.create(
        code="market_recruitment",
        name="市场化引才奖励",
        kind="per_head",
        amount_per_unit=Decimal("5000.00"),
        years=3,
        annual_cap=Decimal("500000.00"),
        exclusivity_group=WUCHENG_TALENT_GROUP,
    )


def agreement_fields(**overrides: Any) -> dict[str, Any]:
    """Valid keyword arguments of agreement_draft (without application and by)."""
    fields: dict[str, Any] = {
        "targets": "建成新能源汽车实训基地，年培训1000人次。",
        "term_years": 3,
        "starts_on": START,
        "budget_total": Decimal("800.00"),
        "funding": {
            FundingSource.GOVERNMENT_INVESTMENT.value: Decimal("300.00"),
            FundingSource.SELF_RAISED.value: Decimal("500.00"),
        },
        "milestones": [
            {"title": "完成实训车间装修", "due_on": dt.date(2026, 6, 30)},
            {"title": "设备安装调试", "due_on": dt.date(2027, 6, 30)},
        ],
        "fit_out_cost": Decimal("1200000.00"),
        "trainees_per_year": [300, 600],
    }
    fields.update(overrides)
    return fields


def drafted_agreement(application: Application, staff: Any, **overrides: Any) -> Agreement:
    from workflow.services.landing import agreement_draft

    return agreement_draft(application=application, by=staff, **agreement_fields(**overrides))


def sent_agreement(application: Application, staff: Any, **overrides: Any) -> Agreement:
    from workflow.services.landing import agreement_send

    agreement = drafted_agreement(application, staff, **overrides)
    return agreement_send(agreement=agreement, by=staff)


def confirmed_agreement(
    application: Application, staff: Any, applicant: Any, **overrides: Any
) -> Agreement:
    from workflow.services.landing import agreement_confirm

    agreement = sent_agreement(application, staff, **overrides)
    return agreement_confirm(agreement=agreement, by=applicant)


def other_parties(application: Application) -> dict[str, Any]:
    """Users who must be refused: an applicant of another organisation, staff of another
    office, the director of the call's own office."""
    from tests.factories import OfficeFactory

    return {
        "stranger": member(Role.APPLICANT, OrganisationFactory()),
        "other_staff": member(Role.OFFICE_STAFF, OfficeFactory()),
        "director": member(Role.OFFICE_DIRECTOR, application.call.office),
    }
