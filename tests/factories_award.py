"""Builders for acceptance (评审认定) and award (授牌) tests.

The application is put under construction (or approved, on a direct-award call) with
force_state: the landing flow that gets it there is another issue's. Every later step goes
through the services in workflow.services.award.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tests.factories import complete_application, expert_pool, force_state, member, published_call
from workflow.choices import ApplicationState, CallRoute, Role
from workflow.models import Acceptance, Application
from workflow.rules.acceptance import RUBRIC
from workflow.services import award as svc


@dataclass
class Project:
    application: Application
    applicant: object
    staff: object

    @property
    def call(self):
        return self.application.call

    @property
    def office(self):
        return self.application.call.office

    def refresh(self) -> Application:
        self.application.refresh_from_db()
        return self.application


def project(
    state: str = ApplicationState.CONSTRUCTING, route: str = CallRoute.SELECTION, **call_kwargs
) -> Project:
    """An application of a fresh call in `state`, its applicant and a staff member of the office."""
    call = published_call(route=route, **call_kwargs)
    application = complete_application(call=call)
    force_state(application, state)
    return Project(
        application=application,
        applicant=member(Role.APPLICANT, application.organisation),
        staff=member(Role.OFFICE_STAFF, call.office),
    )


def direct_award_project(**call_kwargs) -> Project:
    return project(ApplicationState.APPROVED, CallRoute.DIRECT_AWARD, **call_kwargs)


def pool(n: int = 7) -> list:
    """n active experts, each employed by an organisation of its own: no recusal applies."""
    return expert_pool(n)


def sheet_at(share: str) -> dict[str, str]:
    """One expert's marks at `share` of every indicator's weight (two decimals, half up)."""
    return {
        i.code: str((i.weight * Decimal(share)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        for i in RUBRIC
    }


def sheets_at(acceptance: Acceptance, share: str) -> dict[int, dict[str, str]]:
    return {m["expert"]: sheet_at(share) for m in acceptance.panel}


def declare(p: Project, report: str = "已完成实训车间两处建设，设备全部到位并投入使用。"):
    return svc.acceptance_declare(
        application=p.application, by=p.applicant, completion_report=report
    )


def drawn(p: Project, size: int = 5) -> Acceptance:
    """Declared and its panel drawn (the pool must already hold enough experts)."""
    return svc.acceptance_draw_panel(acceptance=declare(p), by=p.staff, size=size)


def decided(p: Project, share: str, conclusion: str = "专家组意见：同意。") -> Acceptance:
    acceptance = drawn(p)
    return svc.acceptance_record_scores(
        acceptance=acceptance,
        by=p.staff,
        sheets=sheets_at(acceptance, share),
        conclusion=conclusion,
    )


def passed(p: Project) -> Acceptance:
    return decided(p, "0.8")


def awarded(p: Project, **kwargs):
    """Through a passed acceptance (selection) or straight from APPROVED (direct award)."""
    if p.application.state != ApplicationState.APPROVED:
        passed(p)
    return svc.award_grant(application=p.application, by=p.staff, **kwargs)
