"""The supervisor, in Chromium: the audit trail from the navigation, the chain verified on
demand, one event opened, and an application's evidence bundle downloaded."""

from __future__ import annotations

import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.test_public_and_applicant import nav
from tests.factories import OfficeFactory, complete_application, member
from workflow.choices import Role
from workflow.services.applications import application_submit

pytestmark = pytest.mark.browser


def test_supervisor_verifies_the_chain_and_downloads_an_evidence_bundle(page, login, tmp_path):
    application = complete_application()
    application_submit(application=application, by=member(Role.APPLICANT, application.organisation))
    login(member(Role.SUPERVISOR, OfficeFactory()))

    nav(page, "审计留痕").click()
    expect(page.get_by_role("heading", level=1, name="审计留痕")).to_be_visible()
    page.get_by_role("button", name="立即校验哈希链").click()
    expect(page.locator("main")).to_contain_text("校验通过")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="证据包").first.click()
    bundle = tmp_path / "bundle.zip"
    download_info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as archive:
        assert {"events.json", "verify.py", "summary.pdf"} <= set(archive.namelist())

    page.locator("main table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.watched.assert_clean()
