"""The steps of the end-to-end journeys, each one a role acting through HTTP as in the browser.

Set-up (users and their memberships, the office and its member departments, the expert pool,
the draft call and its rubric) is made with the factories; every decision after that is a request
through the portal. A step asserts that its request was accepted (a redirect carrying no error
message) and returns what it made; the tests assert the states and the task inboxes between them.

Clients are logged in afresh after each jump in time (`World.jump`): a session made before a
jump of months would have expired.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from processes import engine
from tests.factories import (
    CallFactory,
    DepartmentFactory,
    OfficeFactory,
    OrganisationFactory,
    expert_pool,
    marks_at,
    member,
    pdf_upload,
)
from tests.factories_award import sheet_at
from tests.portal.helpers import application_data, logged_in
from workflow.choices import (
    ApplicationState,
    CallRoute,
    CallState,
    DrawState,
    IndicatorKind,
    InvitationState,
    Role,
)
from workflow.models import Acceptance, Application, Award, Call, Draw, Publicity
from workflow.selectors.scoring import call_rubric_tree
from workflow.services.rubrics import rubric_load_sample

COMMENT = "依据申报材料和现场核查情况评分。"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Where the journeys' clocks start: a Monday, so the working days of the notice are plain.
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


# Plumbing --------------------------------------------------------------------------------------


def url(name: str, *args: Any) -> str:
    return reverse(f"portal:{name}", args=args)


def error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level >= messages.ERROR]


def form_errors(response) -> list[str]:
    """The errors of the forms a re-rendered page carries, to say why a post was refused."""
    found: list[str] = []
    if response.context is None:
        return found
    for name in ("form", "formset", "check_form", "configure_form", "scores_form"):
        try:
            form = response.context[name]
        except KeyError:
            continue
        errors = getattr(form, "errors", None)
        if errors and any(errors):
            found.append(f"{name}: {errors}")
    return found


def done(response, *, to: str | None = None):
    """The post was accepted: a redirect with no error message (and to `to`, if given)."""
    problems = error_messages(response)
    if response.status_code != 302 or problems:
        raise AssertionError(
            f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']} answered "
            f"{response.status_code}: {problems + form_errors(response)}"
        )
    if to is not None:
        assert response["Location"] == to
    return response


def states(*applications: Application) -> list[str]:
    """The applications' states, read again from the database."""
    for application in applications:
        application.refresh_from_db()
    return [a.state for a in applications]


def ok(response):
    """A page that renders."""
    assert response.status_code == 200, (response.request["PATH_INFO"], response.status_code)
    return response


# The cast -----------------------------------------------------------------------------------


@dataclass
class World:
    """Everyone who acts on one call, and their clients."""

    call: Call
    staff: Any
    director: Any
    approvers: list[Any]
    experts: list[Any]
    applicants: list[Any]
    _clients: dict[Any, Client] = field(default_factory=dict)

    def client(self, user: Any = None) -> Client:
        """A client logged in as `user` (English, see tests/portal/helpers.py); None: anonymous."""
        key = None if user is None else user.pk
        if key not in self._clients:
            self._clients[key] = Client() if user is None else logged_in(user)
        return self._clients[key]

    def jump(self, traveller: Any, when: dt.datetime) -> None:
        """Move the clock (time_machine's traveller) and log everyone in again."""
        traveller.move_to(when)
        self._clients.clear()

    def refresh(self) -> Call:
        self.call.refresh_from_db()
        return self.call


def world(
    *,
    route: str = CallRoute.SELECTION,
    organisations: int = 2,
    departments: int = 3,
    experts: int = 7,
    quota: int = 1,
    window_days: int = 14,
) -> World:
    """The office with its staff, director and member departments (one approver each), a draft
    call with the Shanxi sample rubric, the expert pool and the applicant organisations."""
    office = OfficeFactory()
    now = timezone.now()
    call = CallFactory(
        office=office,
        route=route,
        quota=quota,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=window_days),
    )
    staff = member(Role.OFFICE_STAFF, office)
    rubric_load_sample(key="shanxi", by=staff, call=call)
    return World(
        call=call,
        staff=staff,
        director=member(Role.OFFICE_DIRECTOR, office),
        approvers=[
            member(Role.DEPARTMENT_APPROVER, DepartmentFactory(office=office))
            for _ in range(departments)
        ],
        experts=expert_pool(experts),
        applicants=[member(Role.APPLICANT, OrganisationFactory()) for _ in range(organisations)],
    )


# Inboxes and flows ----------------------------------------------------------------------------


def inbox(w: World, user: Any) -> list[str]:
    """The flow steps waiting for `user`, by name, read from the task page (我的待办) and
    checked against engine.inbox."""
    response = ok(w.client(user).get(url("task_list")))
    names = sorted(row.task.flow_task.name for row in response.context["rows"])
    assert names == sorted(row.task.flow_task.name for row in engine.inbox(user))
    return names


def assert_inboxes(w: World, expected: dict[Any, list[str]]) -> None:
    """`expected` maps users to the flow steps waiting for them, read from their task page;
    everyone else of the cast (office, director, approvers, applicants, pool experts) has an
    empty inbox (engine.inbox: rendering forty empty pages would add nothing but time)."""
    cast = [w.staff, w.director, *w.approvers, *w.applicants, *(e.user for e in w.experts)]
    assert set(expected) <= set(cast)
    for user in cast:
        if user in expected:
            assert inbox(w, user) == sorted(expected[user]), user.username
        else:
            assert engine.inbox(user) == [], (user.username, engine.inbox(user))


def flows_of(obj: Any) -> dict[str, str]:
    """{flow class name: process status} of every flow of `obj`."""
    return {p.flow_class.__name__: p.status for p in engine.processes_of(obj)}


def audit_verifies() -> str:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "OK" in out.getvalue(), out.getvalue()
    return out.getvalue()


# Selection: the office, the applicants ---------------------------------------------------------


def office_call_action(w: World, action: str) -> Call:
    done(
        w.client(w.staff).post(url("office_call_action", w.call.pk, action)),
        to=url("office_call_detail", w.call.pk),
    )
    return w.refresh()


def apply(w: World, applicant: Any, title: str) -> Application:
    """The applicant reads the call, writes the application, uploads every required attachment
    and submits."""
    client = w.client(applicant)
    ok(client.get(url("call_detail", w.call.pk)))
    ok(client.get(url("application_create", w.call.pk)))
    response = done(
        client.post(url("application_create", w.call.pk), application_data(title=title))
    )
    pk = resolve(response["Location"]).kwargs["pk"]
    for kind in w.call.required_attachments:
        done(
            client.post(
                url("attachment_add", pk),
                {"attachment-kind": kind, "attachment-file": pdf_upload(f"{kind}.pdf")},
            )
        )
    application = Application.objects.get(pk=pk)
    assert application.attachments.count() == len(w.call.required_attachments)
    done(client.post(url("application_submit", pk)), to=url("application_detail", pk))
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    return application


def formal_checks_pass(w: World, applications: list[Application]) -> None:
    client = w.client(w.staff)
    ok(client.get(url("office_queue")))
    for application in applications:
        ok(client.get(url("office_application_detail", application.pk)))
        done(
            client.post(
                url("office_formal_check", application.pk),
                {"check-outcome": "passed", "check-reason": ""},
            )
        )
        application.refresh_from_db()
        assert application.state == ApplicationState.ACCEPTED


DRAW = {
    "mode": "panel",
    "panel_size": "5",
    "experts_per_application": "3",
    "load_cap": "3",
    "required_sectors": "新能源汽车",
    "alternates": "2",
    "review_due": "",
}


def draw_experts(w: World) -> Draw:
    client = w.client(w.staff)
    ok(client.get(url("draw_page", w.call.pk)))
    done(client.post(url("draw_configure", w.call.pk), DRAW), to=url("draw_page", w.call.pk))
    draw = ok(client.get(url("draw_page", w.call.pk))).context["draw"]
    done(client.post(url("draw_perform", w.call.pk, draw.pk)))
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN
    return draw


def experts_accept(w: World) -> list[Any]:
    """Every pool member reads its invitations; the drawn ones accept with the declaration.
    Returns the experts who accepted."""
    panel = []
    for expert in w.experts:
        client = w.client(expert.user)
        invitations = ok(client.get(url("invitation_list"))).context["invitations"]
        for invitation in invitations:
            if invitation.state == InvitationState.INVITED:
                done(client.post(url("invitation_accept", invitation.pk), {"confirm": "on"}))
                panel.append(expert)
    return panel


def sheet_post(call: Call, share: str) -> dict[str, str]:
    """A submitted score sheet with every judged mark at `share` of its points, explained."""
    tree = call_rubric_tree(call)
    marks = marks_at(call, share, COMMENT)
    data = {"action": "submit"}
    for indicator in tree.judged:
        data[f"score_{indicator.pk}"] = str(marks[indicator.code].value)
        data[f"comment_{indicator.pk}"] = marks[indicator.code].comment
    return data


def experts_score(w: World, panel: list[Any], shares: dict[int, str]) -> int:
    """Each panel expert opens and submits every sheet assigned to it; `shares` gives the
    share of the points each application gets. Returns the number of sheets submitted."""
    submitted = 0
    for expert in panel:
        client = w.client(expert.user)
        assignments = ok(client.get(url("expert_assignment_list"))).context["assignments"]
        assert {a.application_id for a in assignments} == set(shares)
        for assignment in assignments:
            ok(client.get(url("expert_sheet", assignment.pk)))
            post = sheet_post(w.call, shares[assignment.application_id])
            done(client.post(url("expert_sheet", assignment.pk), post))
            submitted += 1
    return submitted


def office_verifies_values(w: World, applications: list[Application]) -> None:
    """核实: the office enters the checked quantitative values and the veto items."""
    client = w.client(w.staff)
    tree = call_rubric_tree(w.call)
    ok(client.get(url("office_values", w.call.pk)))
    for application in applications:
        data = {}
        for indicator in tree.verifiable:
            veto = indicator.kind == IndicatorKind.VETO
            data[f"value_{indicator.pk}"] = "0" if veto else "1000"
            data[f"note_{indicator.pk}"] = "经核对相关台账"
        page = url("office_values_verify", w.call.pk, application.pk)
        ok(client.get(page))
        done(client.post(page, data), to=url("office_values", w.call.pk))


def office_closes_panel(w: World, draw: Draw) -> None:
    done(w.client(w.staff).post(url("draw_close", w.call.pk, draw.pk)))
    draw.refresh_from_db()
    assert draw.state == DrawState.CLOSED


def office_confirms_ranking(w: World) -> None:
    client = w.client(w.staff)
    ok(client.get(url("office_ranking", w.call.pk)))
    done(client.post(url("office_ranking_confirm", w.call.pk), {"reason": "经集体研究确认。"}))


def office_starts_publicity(w: World) -> Publicity:
    assert office_call_action(w, "start_publicity").state == CallState.PUBLICITY
    ok(Client().get(url("publicity_list")))
    return Publicity.objects.get(call=w.call)


def office_opens_countersign(w: World) -> None:
    client = w.client(w.staff)
    ok(client.get(url("office_countersign", w.call.pk)))
    done(
        client.post(url("office_countersign_open", w.call.pk)),
        to=url("office_countersign", w.call.pk),
    )


def departments_agree(w: World) -> None:
    """Each department's approver finds the round in its countersign inbox and agrees."""
    for approver in w.approvers:
        client = w.client(approver)
        (countersign,) = ok(client.get(url("countersign_inbox"))).context["countersigns"]
        ok(client.get(url("countersign_sign", countersign.pk)))
        done(
            client.post(
                url("countersign_sign", countersign.pk),
                {"decision": "agree", "opinion": "同意拟入选名单。"},
            ),
            to=url("countersign_inbox"),
        )


def director_decision_post(w: World, application: Application, decision: str = "approve"):
    """The director's post on one application, with the field names its decision page renders
    (each application's form has its own prefix)."""
    client = w.client(w.director)
    page = ok(client.get(url("director_decision", w.call.pk)))
    (form,) = [form for shown, form in page.context["rows"] if shown.pk == application.pk]
    data = {form.add_prefix("decision"): decision, form.add_prefix("opinion"): "同意。"}
    return client.post(url("director_decide_application", w.call.pk, application.pk), data)


def director_approves(w: World, applications: list[Application]) -> None:
    for application in applications:
        done(director_decision_post(w, application))
        application.refresh_from_db()
        assert application.state == ApplicationState.APPROVED


def director_decides_call(w: World) -> Call:
    done(w.client(w.director).post(url("director_decide_call", w.call.pk)), to=url("task_list"))
    return w.refresh()


def select(w: World, applications: list[Application], shares: dict[int, str]) -> Draw:
    """From the submitted applications to the public notice: close the window (the clock must
    be past closes_at), formal checks, review start, draw, acceptances, sheets, verified values,
    panel close, ranking confirmation, notice. Returns the draw."""
    assert office_call_action(w, "close").state == CallState.CLOSED
    formal_checks_pass(w, applications)
    assert office_call_action(w, "start_review").state == CallState.UNDER_REVIEW
    draw = draw_experts(w)
    panel = experts_accept(w)
    assert len(panel) == int(DRAW["panel_size"])
    assert experts_score(w, panel, shares) == len(panel) * len(applications)
    office_verifies_values(w, applications)
    office_closes_panel(w, draw)
    office_confirms_ranking(w)
    return draw


# Landing, acceptance and award ----------------------------------------------------------------


def agreement_post(starts_on: dt.date) -> dict[str, Any]:
    """The task agreement form: three years from `starts_on`, two milestones, budget 800 万元."""
    data: dict[str, Any] = {
        "targets": "建成新能源汽车产教融合实训基地，年培训学员1000人次。",
        "term_years": "3",
        "starts_on": starts_on.isoformat(),
        "budget_total": "800.00",
        "funding_government_investment": "300.00",
        "funding_self_raised": "500.00",
        "fit_out_cost": "",
        "trainees_year_1": "300",
        "trainees_year_2": "600",
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "60",
        "milestones-0-title": "完成实训车间装修",
        "milestones-0-due_on": (starts_on + dt.timedelta(days=180)).isoformat(),
        "milestones-1-title": "实训设备安装调试并投入使用",
        "milestones-1-due_on": (starts_on + dt.timedelta(days=540)).isoformat(),
    }
    return data


def office_sends_agreement(w: World, application: Application, starts_on: dt.date) -> None:
    client = w.client(w.staff)
    ok(client.get(url("office_landing")))
    edit = url("agreement_edit", application.pk)
    ok(client.get(edit))
    done(client.post(edit, agreement_post(starts_on)), to=edit)
    done(
        client.post(url("agreement_send", application.pk)),
        to=url("agreement_detail", application.pk),
    )


def applicant_confirms_agreement(w: World, applicant: Any, application: Application) -> None:
    client = w.client(applicant)
    ok(client.get(url("agreement_detail", application.pk)))
    done(
        client.post(url("agreement_confirm", application.pk)),
        to=url("report_list", application.pk),
    )


def applicant_reports(w: World, applicant: Any, application: Application) -> Any:
    """The organisation files its earliest due progress report; returns it."""
    client = w.client(applicant)
    rows = ok(client.get(url("report_list", application.pk))).context["rows"]
    report = rows[0][0]
    ok(client.get(url("report_submit", report.pk)))
    done(
        client.post(
            url("report_submit", report.pk),
            {"content": "本月完成实训车间主体装修，采购设备招标已发布。"},
        ),
        to=url("report_list", application.pk),
    )
    report.refresh_from_db()
    return report


def applicant_declares_completion(w: World, applicant: Any, application: Application) -> None:
    client = w.client(applicant)
    page = url("acceptance_declare", application.pk)
    ok(client.get(page))
    done(
        client.post(page, {"completion_report": "建设任务全部完成：实训车间两处，设备全部投用。"}),
        to=page,
    )


def office_draws_acceptance_panel(w: World, application: Application) -> Acceptance:
    client = w.client(w.staff)
    ok(client.get(url("office_acceptance_list")))
    acceptance = ok(client.get(url("office_acceptance", application.pk))).context["latest"]
    done(
        client.post(url("acceptance_draw", acceptance.pk), {"size": "5"}),
        to=url("office_acceptance", application.pk),
    )
    acceptance.refresh_from_db()
    return acceptance


def office_records_acceptance(
    w: World, application: Application, acceptance: Acceptance, share: str = "0.85"
) -> Acceptance:
    """The office enters the panel's signed paper sheets, every mark at `share`."""
    data = {"conclusion": "专家组意见：建设任务全部完成，同意通过认定。", "rectification_due": ""}
    for panel_member in acceptance.panel:
        for code, mark in sheet_at(share).items():
            data[f"e{panel_member['expert']}_{code}"] = mark
    done(
        w.client(w.staff).post(url("acceptance_scores", acceptance.pk), data),
        to=url("office_acceptance", application.pk),
    )
    acceptance.refresh_from_db()
    return acceptance


def office_awards(w: World, application: Application) -> Award:
    client = w.client(w.staff)
    page = ok(client.get(url("office_acceptance", application.pk)))
    assert page.context["can_award"]
    done(
        client.post(url("award_grant", application.pk), {"awarded_on": ""}),
        to=url("office_acceptance", application.pk),
    )
    return Award.objects.get(application=application)


def public_sees_plaque(award: Award) -> None:
    """The anonymous award list names the plaque; the certificate is not public."""
    page = ok(Client().get(url("award_list"))).content.decode()
    assert award.number in page
    assert award.application.organisation.name in page
    assert Client().get(url("award_certificate", award.pk)).status_code == 302  # to the login


def certificate_downloads(w: World, applicant: Any, award: Award) -> bytes:
    response = ok(w.client(applicant).get(url("award_certificate", award.pk)))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return response.content
