"""Office staff, expert, department approver and director, in Chromium, through the Chinese UI.

Each test sets its stage with the builders of tests/factories*.py (the earlier steps of the
process) and then acts like a person: navigation links, forms, buttons."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    CallFactory,
    DrawFactory,
    InvitationFactory,
    OrganisationFactory,
    complete_application,
    force_state,
    member,
    review_call,
)
from tests.factories_approval import CountersignCall
from tests.processes.helpers import Notice
from workflow.choices import ApplicationState, CallState, DrawState, InvitationState, Role
from workflow.models import Assignment
from workflow.models.countersign import CountersignState
from workflow.selectors.scoring import call_rubric_tree

pytestmark = pytest.mark.browser

COMMENT = "依据申报材料和现场核查情况评分。"


def nav(page, name: str):
    """A link of the main navigation, by its Chinese name."""
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True)


def submitted_after_the_window():
    """A call whose window has closed (closed by the office through the service, so that its
    selection flow moved on to the formal checks) with one submitted application."""
    from workflow.services.applications import application_submit
    from workflow.services.calls import call_close, call_publish

    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=2), tick=False):
        call = CallFactory(
            title="现代物流产教融合实训基地",
            opens_at=now - dt.timedelta(days=3),
            closes_at=now - dt.timedelta(days=1),
        )
        staff = member(Role.OFFICE_STAFF, call.office)
        call_publish(call=call, by=staff)
        application = complete_application(
            call=call,
            organisation=OrganisationFactory(name="山西交通职业技术学院"),
            title="现代物流实训基地建设项目",
        )
        applicant = member(Role.APPLICANT, application.organisation)
        application_submit(application=application, by=applicant)
    call_close(call=call, by=staff)
    return call, staff, application


def test_office_staff_find_the_step_in_my_tasks_and_pass_the_formal_check(page, login):
    call, staff, application = submitted_after_the_window()
    login(staff)

    nav(page, "我的待办").click()
    expect(page.get_by_role("heading", level=1, name="我的待办")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="完成形式审查并启动专家评审")
    expect(row).to_contain_text(call.title)
    row.get_by_role("link", name="办理").click()

    expect(page).to_have_url(re.compile(r"/office/queue/"))
    expect(page.get_by_role("heading", level=1, name="形式审查待办")).to_be_visible()
    page.get_by_role("link", name=application.title).click()
    page.fill("[name=check-reason]", "材料齐全，符合申报条件。")
    page.get_by_role("button", name="通过", exact=True).click()

    expect(page.locator("h1 .badge")).to_have_text("形式审查通过")
    application.refresh_from_db()
    assert application.state == ApplicationState.ACCEPTED
    page.watched.assert_clean()


def test_expert_accepts_the_invitation_and_submits_the_score_sheet(page, login):
    call, _staff, (application,) = review_call(applications=1, title="集成电路产教融合实训基地")
    draw = DrawFactory(call=call)
    force_state(draw, DrawState.DRAWN)
    invitation = InvitationFactory(draw=draw)
    force_state(invitation, InvitationState.INVITED)  # set-up: as the draw leaves it
    expert = invitation.expert
    login(expert.user)

    nav(page, "评审邀请").click()
    panel = page.locator("section.panel").filter(has_text=call.title)
    panel.locator("[name=confirm]").check()
    panel.get_by_role("button", name="签署声明并接受邀请").click()
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.ACCEPTED

    nav(page, "我的评审").click()
    page.get_by_role("link", name=application.title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(application.title)
    tree = call_rubric_tree(call)
    assert tree.judged
    for indicator in tree.judged:
        page.fill(f"[name=score_{indicator.pk}]", str(indicator.weight * 8 / 10))
        page.fill(f"[name=comment_{indicator.pk}]", COMMENT)
    page.get_by_role("button", name="提交并锁定").click()

    expect(page.get_by_text("评分表已提交并锁定", exact=False).first).to_be_visible()
    assignment = Assignment.objects.get(expert=expert, application=application)
    assert assignment.state == "submitted"
    page.watched.assert_clean()


def test_department_approver_countersigns_through_the_inbox(page, login):
    setup = CountersignCall(departments=2)
    setup.open()
    login(setup.approvers[0])

    nav(page, "会签").click()
    row = page.get_by_role("row").filter(has_text=setup.call.title)
    row.get_by_role("link", name="会签").click()
    page.get_by_label("同意", exact=True).check()
    page.fill("[name=opinion]", "同意拟入选名单。")
    page.get_by_role("button", name="录入意见").click()

    expect(page).to_have_url(re.compile(r"/countersign/$"))
    assert setup.countersign(0).state == CountersignState.AGREED
    page.watched.assert_clean()


def test_director_approves_the_winner_and_decides_the_call(page, login):
    world = Notice()
    # After the notice period (the clock of the whole process, live server included).
    with time_machine.travel(world.after_notice, tick=True):
        world.countersign_all()
        login(world.director)

        nav(page, "我的待办").click()
        page.get_by_role("row").filter(has_text=world.call.title).first.get_by_role(
            "link", name="办理"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(world.call.title)
        form = page.locator("form").filter(has=page.locator(f"[name=a{world.winner.pk}-decision]"))
        form.locator(f"[name=a{world.winner.pk}-decision][value=approve]").check()
        form.locator(f"[name=a{world.winner.pk}-opinion]").fill("同意立项。")
        form.get_by_role("button", name="确定").click()
        world.winner.refresh_from_db()
        assert world.winner.state == ApplicationState.APPROVED

        page.get_by_role("button", name="确定榜单结果").click()
        world.call.refresh_from_db()
        assert world.call.state == CallState.DECIDED
        page.watched.assert_clean()
