"""The public visitor and the applicant, in Chromium, through the Chinese UI."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import OrganisationFactory, member, pdf_bytes, published_call
from workflow.choices import ApplicationState, AttachmentKind, Role
from workflow.models import Application

pytestmark = pytest.mark.browser


def nav(page, name: str):
    """A link of the main navigation, by its Chinese name."""
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True)


def test_public_reads_an_open_call_the_notices_and_the_award_register(page):
    call = published_call(title="新能源汽车产教融合实训基地（公开）")
    page.goto("/")
    expect(page.get_by_role("heading", name="申报中")).to_be_visible()
    page.get_by_role("link", name=call.title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(call.title)
    expect(page.locator("dl.facts")).to_contain_text(call.sector)
    nav(page, "公示公告").click()
    expect(page).to_have_url(re.compile(r"/publicity/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    nav(page, "授牌名录").click()
    expect(page).to_have_url(re.compile(r"/awards/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.watched.assert_clean()


def test_applicant_writes_uploads_and_submits_an_application(page, login, tmp_path):
    call = published_call(title="智能制造产教融合实训基地")
    organisation = OrganisationFactory(name="太原职业技术学院")
    applicant = member(Role.APPLICANT, organisation)
    login(applicant)

    nav(page, "我的申报").click()
    expect(page.get_by_role("heading", level=1, name="我的申报")).to_be_visible()
    page.get_by_role("link", name="查看已发布榜单").click()
    page.get_by_role("link", name=call.title).click()
    page.get_by_role("link", name="申报该榜单").click()

    # The multi-step form: each step saves its own fields and goes on.
    def save_and_next():
        page.locator("button[name=go][value=next]").click()

    expect(page.locator('[aria-current="step"]')).to_contain_text("1")
    page.fill("[name=title]", "智能制造实训基地建设项目")
    page.select_option("[name=construction_mode]", "school_led")
    page.check("[name=functions][value=training]")
    page.check("[name=functions][value=innovation]")
    save_and_next()
    page.fill("[name=plan]", "建设实训车间两处，年培训学员1000人次。")
    save_and_next()
    page.fill("[name=project_lead]", "王五")
    page.fill("[name=contact_phone]", "0351-7654321")
    save_and_next()
    page.fill("[name=funding_self_raised]", "300.00")
    save_and_next()
    save_and_next()  # no partners

    application = Application.objects.get(call=call, organisation=organisation)
    assert application.plan and application.contact_phone
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/steps/attachments/"))
    for kind in call.required_attachments:
        pdf = tmp_path / f"{kind}.pdf"
        pdf.write_bytes(pdf_bytes())
        page.select_option("[name=attachment-kind]", kind)
        page.set_input_files("[name=attachment-file]", str(pdf))
        page.get_by_role("button", name="上传", exact=True).click()
        expect(page.locator("#docs-heading + p + table")).to_contain_text(
            str(AttachmentKind(kind).label)
        )
    page.locator(f"a[href='/applications/{application.pk}/confirm/']").first.click()
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/confirm/"))
    page.get_by_role("button", name="提交申报").click()

    expect(page.locator("h1 .badge")).to_have_text("已提交")
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    page.watched.assert_clean()


def test_a_step_saves_itself_while_the_applicant_types(page, login):
    call = published_call(title="智能制造产教融合实训基地（自动保存）")
    organisation = OrganisationFactory(name="太原理工职业学院")
    applicant = member(Role.APPLICANT, organisation)
    application = Application.objects.create(call=call, organisation=organisation, title="草稿")
    login(applicant)

    page.goto(f"/applications/{application.pk}/steps/plan/")
    page.fill("[name=plan]", "边写边自动保存的建设方案。")
    expect(page.locator("#autosave-status .autosave-saved")).to_be_visible()
    application.refresh_from_db()
    assert application.plan == "边写边自动保存的建设方案。"

    page.goto(f"/applications/{application.pk}/steps/contact/")
    page.fill("[name=contact_phone]", "请打电话")
    expect(page.locator("#autosave-status .autosave-error")).to_be_visible()
    expect(page.locator("#autosave-status a[href='#id_contact_phone']")).to_be_visible()
    application.refresh_from_db()
    assert application.contact_phone == ""
    page.watched.assert_clean()
