"""One call from publication to plaque, in Chromium, every decision a click by the role that
owns it, each role logging in through the login page in turn.

The HTTP journey (tests/e2e/test_journey.py) proves the states and the task inboxes between the
stages; this one proves that a person can do the same with the pages as they are: the links are
there, the forms can be filled in, the buttons do what they say, and no page errs.

The cast and the draft call with its rubric are made with the builders of tests/e2e/journey.py
(set-up, not decisions). Forms are found by their action (the URL they post to) and links by
their target, so that the test does not depend on the wording of the Chinese translations.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import time_machine
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from processes import engine
from tests.e2e.journey import COMMENT, SHANGHAI, agreement_post, world
from tests.factories import pdf_bytes
from tests.factories_award import sheet_at
from workflow.choices import ApplicationState, CallState, IndicatorKind, InvitationState
from workflow.models import Acceptance, Application, Award, Countersign, Invitation, Publicity
from workflow.selectors.scoring import call_rubric_tree

pytestmark = pytest.mark.browser

SHARE = Decimal("0.85")


def url(name: str, *args: Any) -> str:
    return reverse(f"portal:{name}", args=args)


def next_monday_morning() -> dt.datetime:
    """The journey's clock starts on the Monday after today, 09:00 Beijing time: ahead of the
    real clock, because the browser (whose clock is not moved) would drop a session cookie
    whose expiry the server computed from a date in the past."""
    today = timezone.localtime(timezone.now(), SHANGHAI).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(9, 0), tzinfo=SHANGHAI)


class Journey:
    """The browser page and the moves every stage is made of: log in as someone, follow a link,
    fill and submit a form, and check that the page reached shows no error."""

    def __init__(self, page, login, tmp_path):
        self.page = page
        self._login = login
        self.tmp_path = tmp_path

    def as_(self, user) -> None:
        """Log out whoever was in (cookies gone) and log `user` in through the login page."""
        self.page.context.clear_cookies()
        self._login(user)

    def follow(self, href: str) -> None:
        """Click the first link to `href` on the current page."""
        with self.page.expect_navigation():
            self.page.locator(f'a[href="{href}"]').first.click()
        self.assert_no_errors()

    def nav(self, href: str) -> None:
        """Click the main navigation's link to `href`."""
        with self.page.expect_navigation():
            self.page.locator(f'nav.site-nav a[href="{href}"]').click()
        self.assert_no_errors()

    def open_call(self, call) -> None:
        """From the navigation's list of the office's calls, open `call`."""
        self.nav(url("office_call_list"))
        self.follow(url("office_call_detail", call.pk))

    def form(self, action: str):
        return self.page.locator(f'main form[action="{action}"]')

    def submit(self, form, button: str = "button[type=submit]") -> None:
        """Click the form's (first) submit button and wait for the page it leads to."""
        with self.page.expect_navigation():
            form.locator(button).first.click()
        self.assert_no_errors()

    def assert_no_errors(self) -> None:
        """The page shows no error message and no form error."""
        page = self.page
        errors = page.locator(".message.error, .form-errors, .field.has-error .errorlist")
        if errors.count():
            texts = [errors.nth(i).inner_text() for i in range(errors.count())]
            raise AssertionError(f"{page.url}: {texts}")


def test_one_call_from_publication_to_plaque_in_the_browser(page, login, tmp_path):
    j = Journey(page, login, tmp_path)
    with time_machine.travel(next_monday_morning(), tick=True) as traveller:
        # Set-up: the office, its staff and director, three member departments, seven pool
        # experts, one applicant organisation, the draft call with the sample rubric.
        w = world(organisations=1, quota=1)
        call, staff, director = w.call, w.staff, w.director
        (applicant,) = w.applicants

        # 公开发榜: the office publishes the call from its list of calls.
        j.as_(staff)
        j.open_call(call)
        j.submit(j.form(url("office_call_action", call.pk, "publish")))
        call.refresh_from_db()
        assert call.state == CallState.PUBLISHED

        # 自愿申报: the applicant finds the call, writes, uploads and submits.
        application = applicant_applies(j, w, applicant)

        # 形式审查, once the window has closed.
        traveller.move_to(call.closes_at + dt.timedelta(hours=1))
        j.as_(staff)
        j.open_call(call)
        j.submit(j.form(url("office_call_action", call.pk, "close")))
        j.nav(url("office_queue"))
        j.follow(url("office_application_detail", application.pk))
        check = j.form(url("office_formal_check", application.pk))
        check.locator("[name=check-reason]").fill("材料齐全，符合申报条件。")
        j.submit(check, "button[value=passed]")
        assert states(application) == [ApplicationState.ACCEPTED]
        j.open_call(call)
        j.submit(j.form(url("office_call_action", call.pk, "start_review")))
        assert states(application) == [ApplicationState.UNDER_REVIEW]

        # 专家抽取: the draw screen, its rules, the draw itself.
        j.follow(url("draw_page", call.pk))
        configure = j.form(url("draw_configure", call.pk))
        configure.locator("[name=required_sectors]").fill("新能源汽车")
        j.submit(configure)
        draw = call.draws.get()
        j.submit(j.form(url("draw_perform", call.pk, draw.pk)))
        drawn = [
            i.expert
            for i in Invitation.objects.filter(draw=draw, state=InvitationState.INVITED)
            .select_related("expert__user")
            .order_by("pk")
        ]
        assert len(drawn) == 5

        # 专家评议: each drawn expert signs the no-conflict declaration and scores.
        tree = call_rubric_tree(call)
        for expert in drawn:
            j.as_(expert.user)
            j.nav(url("invitation_list"))
            (invitation,) = Invitation.objects.filter(draw=draw, expert=expert)
            accept = j.form(url("invitation_accept", invitation.pk))
            accept.locator("[name=confirm]").check()
            j.submit(accept)
            j.nav(url("expert_assignment_list"))
            (assignment,) = invitation.assignments.all()
            j.follow(url("expert_sheet", assignment.pk))
            sheet = j.form(url("expert_sheet", assignment.pk))
            for indicator in tree.judged:
                sheet.locator(f"[name=score_{indicator.pk}]").fill(str(share_of(indicator)))
                sheet.locator(f"[name=comment_{indicator.pk}]").fill(COMMENT)
            j.submit(sheet, "button[name=action][value=submit]")
            assignment.refresh_from_db()
            assert assignment.state == "submitted"

        # 核实, panel closed, 排序确认, 公示.
        j.as_(staff)
        j.open_call(call)
        j.follow(url("office_values", call.pk))
        j.follow(url("office_values_verify", call.pk, application.pk))
        values = j.page.locator("main form.stacked")
        for indicator in tree.verifiable:
            veto = indicator.kind == IndicatorKind.VETO
            put(values.locator(f"[name=value_{indicator.pk}]"), "0" if veto else "1000")
            values.locator(f"[name=note_{indicator.pk}]").fill("经核对相关台账")
        j.submit(values)
        j.open_call(call)
        j.follow(url("draw_page", call.pk))
        j.submit(j.form(url("draw_close", call.pk, draw.pk)))
        j.open_call(call)
        j.follow(url("office_ranking", call.pk))
        confirm = j.form(url("office_ranking_confirm", call.pk))
        confirm.locator("[name=reason]").fill("经集体研究确认。")
        j.submit(confirm)
        assert states(application) == [ApplicationState.SHORTLISTED]
        j.open_call(call)
        j.submit(j.form(url("office_call_action", call.pk, "start_publicity")))
        call.refresh_from_db()
        assert call.state == CallState.PUBLICITY

        # The notice runs five working days with no objection. Nobody waits that long in a
        # test: the clock (of the live server too) jumps past its end, and the scheduler's
        # periodic tick, which moves the flow on in production, is called once, as the HTTP
        # journey does.
        publicity = Publicity.objects.get(call=call)
        traveller.move_to(publicity.ends_at + dt.timedelta(minutes=1))
        scheduler_tick()

        # 会签: the office opens the round; each member department agrees from its inbox.
        j.as_(staff)
        j.open_call(call)
        j.follow(url("office_countersign", call.pk))
        j.submit(j.form(url("office_countersign_open", call.pk)))
        for approver in w.approvers:
            j.as_(approver)
            j.nav(url("countersign_inbox"))
            countersign = Countersign.objects.get(department=approver.memberships.get().department)
            j.follow(url("countersign_sign", countersign.pk))
            sign = j.page.locator("main form.stacked")
            sign.locator("[name=decision][value=agree]").check()
            sign.locator("[name=opinion]").fill("同意拟入选名单。")
            j.submit(sign)

        # 主任审批: the director opens the step from 我的待办, approves and decides the call.
        j.as_(director)
        j.nav(url("task_list"))
        j.follow(url("director_decision", call.pk))  # the step's "handle" link
        decide = j.form(url("director_decide_application", call.pk, application.pk))
        decide.locator(f"[name=a{application.pk}-decision][value=approve]").check()
        decide.locator(f"[name=a{application.pk}-opinion]").fill("同意立项。")
        j.submit(decide)
        assert states(application) == [ApplicationState.APPROVED]
        j.submit(j.form(url("director_decide_call", call.pk)))
        call.refresh_from_db()
        assert call.state == CallState.DECIDED

        # 任务书: the office drafts and sends the agreement; the organisation confirms it.
        j.as_(staff)
        j.nav(url("office_landing"))
        j.follow(url("agreement_edit", application.pk))
        draft = j.page.locator("main form.stacked").filter(has=j.page.locator("[name=targets]"))
        starts_on = timezone.localdate() + dt.timedelta(days=30)
        for name, value in agreement_post(starts_on).items():
            if not name.endswith("_FORMS") and value:
                put(draft.locator(f"[name={name}]"), value)
        j.submit(draft)
        j.submit(j.form(url("agreement_send", application.pk)))

        j.as_(applicant)
        j.nav(url("application_list"))
        j.follow(url("application_detail", application.pk))
        j.follow(url("agreement_detail", application.pk))
        j.submit(j.form(url("agreement_confirm", application.pk)))
        assert states(application) == [ApplicationState.CONSTRUCTING]

        # 评审认定: completion declared, the acceptance panel drawn, its sheets recorded.
        j.nav(url("application_list"))
        j.follow(url("application_detail", application.pk))
        j.follow(url("acceptance_declare", application.pk))
        j.page.locator("main form.stacked [name=completion_report]").fill(
            "建设任务全部完成：实训车间两处，设备全部投用。"
        )
        j.submit(j.page.locator("main form.stacked"))
        assert states(application) == [ApplicationState.ACCEPTANCE]

        j.as_(staff)
        j.nav(url("office_acceptance_list"))
        j.follow(url("office_acceptance", application.pk))
        acceptance = Acceptance.objects.get(application=application)
        j.submit(j.form(url("acceptance_draw", acceptance.pk)))
        acceptance.refresh_from_db()
        scores = j.form(url("acceptance_scores", acceptance.pk))
        marks = sheet_at(str(SHARE))
        for member in acceptance.panel:
            for code, mark in marks.items():
                scores.locator(f'[name="e{member["expert"]}_{code}"]').fill(mark)
        scores.locator("[name=conclusion]").fill("专家组意见：建设任务全部完成，同意通过认定。")
        j.submit(scores)

        # 授牌, and the public award register names the plaque.
        j.submit(j.form(url("award_grant", application.pk)))
        award = Award.objects.get(application=application)
        assert states(application) == [ApplicationState.AWARDED]

        # The organisation finds its certificate on the application's page.
        j.as_(applicant)
        j.nav(url("application_list"))
        j.follow(url("application_detail", application.pk))
        certificate = url("award_certificate", award.pk)
        expect(j.page.locator(f'main a[href="{certificate}"]')).to_be_visible()
        pdf = j.page.request.get(certificate)  # with the browser's session; Chromium shows PDFs
        assert pdf.ok and pdf.body().startswith(b"%PDF")

        j.page.context.clear_cookies()
        j.page.goto(url("home"))
        j.nav(url("award_list"))
        expect(j.page.locator("main")).to_contain_text(award.number)
        expect(j.page.locator("main")).to_contain_text(application.organisation.name)
        page.watched.assert_clean()


APPLICATION = {
    "title": "新能源汽车智能制造实训基地",
    "construction_mode": "school_led",
    "plan": "建设实训车间两处，年培训学员1000人次。",
    "project_lead": "王五",
    "contact_phone": "0351-7654321",
    "funding_self_raised": "300.00",
}
FUNCTIONS = ("training", "innovation")


def applicant_applies(j: Journey, w, applicant) -> Application:
    """The applicant finds the call, writes the application step by step, uploads every
    required document (a PDF each), reviews it and submits.

    The form's steps are walked as they come (each step's fields filled if it shows them,
    then "save and next") until the documents step, so that the test holds whichever fields a
    step groups."""
    call, page = w.call, j.page
    j.as_(applicant)
    j.nav(url("call_list"))
    j.follow(url("call_detail", call.pk))
    j.follow(url("application_create", call.pk))
    step_form = "main form.application-step, main form.stacked:has([name=title])"
    for _step in range(10):
        form = page.locator(step_form).first
        if not form.count():
            break
        for name, value in APPLICATION.items():
            field = form.locator(f"[name={name}]")
            if field.count():
                put(field, value)
        for function in FUNCTIONS:
            box = form.locator(f"[name=functions][value={function}]")
            if box.count():
                box.check()
        j.submit(form, "button[name=go][value=next], button[type=submit]")
    application = Application.objects.get(call=call)
    assert application.title == APPLICATION["title"] and application.plan

    pdf = j.tmp_path / "申报材料.pdf"
    pdf.write_bytes(pdf_bytes())
    for kind in call.required_attachments:
        upload = j.form(url("attachment_add", application.pk))
        if not upload.count():
            j.nav(url("application_list"))
            j.follow(url("application_detail", application.pk))
        upload.locator("[name=attachment-kind]").select_option(kind)
        upload.locator("[name=attachment-file]").set_input_files(str(pdf))
        j.submit(upload)
    assert application.attachments.count() == len(call.required_attachments)

    if not j.form(url("application_submit", application.pk)).count():
        if not page.locator(f'a[href="{url("application_confirm", application.pk)}"]').count():
            j.nav(url("application_list"))
            j.follow(url("application_detail", application.pk))
        j.follow(url("application_confirm", application.pk))
    j.submit(j.form(url("application_submit", application.pk)))
    assert states(application) == [ApplicationState.SUBMITTED]
    return application


def scheduler_tick() -> None:
    """engine.tick() in a thread of its own, as the scheduler runs it: in this thread
    Playwright's event loop runs, where the notification adapters cannot send."""

    def tick() -> None:
        try:
            engine.tick()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(tick).result()


def put(field, value: str) -> None:
    """Type `value` into a text field, or choose it in a select."""
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def share_of(indicator) -> Decimal:
    return (indicator.weight * SHARE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def states(*applications: Application) -> list[str]:
    for application in applications:
        application.refresh_from_db()
    return [a.state for a in applications]
