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

    page.fill("[name=title]", "智能制造实训基地建设项目")
    page.select_option("[name=construction_mode]", "school_led")
    page.check("[name=functions][value=training]")
    page.check("[name=functions][value=innovation]")
    page.fill("[name=plan]", "建设实训车间两处，年培训学员1000人次。")
    page.fill("[name=project_lead]", "王五")
    page.fill("[name=contact_phone]", "0351-7654321")
    page.fill("[name=funding_self_raised]", "300.00")
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("智能制造实训基地建设项目")
    application = Application.objects.get(call=call, organisation=organisation)
    for kind in call.required_attachments:
        pdf = tmp_path / f"{kind}.pdf"
        pdf.write_bytes(pdf_bytes())
        page.select_option("[name=attachment-kind]", kind)
        page.set_input_files("[name=attachment-file]", str(pdf))
        page.get_by_role("button", name="上传", exact=True).click()
        expect(page.locator("#docs-heading + p + table")).to_contain_text(
            str(AttachmentKind(kind).label)
        )
    expect(page.get_by_text("必填内容和附件已齐全，可以提交。")).to_be_visible()
    page.get_by_role("button", name="提交申报").click()

    expect(page.locator("h1 .badge")).to_have_text("已提交")
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    page.watched.assert_clean()
