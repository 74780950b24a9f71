"""Experts score on 10-inch tablets (issue 6): the score sheet fits a tablet's width in both
orientations, its inputs are large enough to tap, and the running total follows the marks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import review_call, review_panel
from workflow.selectors.scoring import call_rubric_tree

pytestmark = pytest.mark.browser

# CSS pixels of a common 10-inch Android tablet (1280×800), portrait and landscape.
TABLET = [{"width": 800, "height": 1280}, {"width": 1280, "height": 800}]
# WCAG 2.5.8 asks for 24 px targets at least; 40 px is what a finger needs in practice.
MIN_TARGET = 40


@pytest.mark.parametrize("viewport", TABLET, ids=["portrait", "landscape"])
def test_the_score_sheet_fits_a_tablet_and_keeps_the_running_total(page, login, viewport):
    call, _staff, (application,) = review_call(applications=1, title="智能制造产教融合实训基地")
    _draw, sheets = review_panel(call, [application], experts=1)  # set-up: accepted, sheet open
    (expert,) = sheets
    page.set_viewport_size(viewport)
    login(expert.user)
    page.goto("/expert/assignments/")
    page.get_by_role("link", name=application.title).click()

    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the sheet is {overflow}px wider than the tablet"

    tree = call_rubric_tree(call)
    first = tree.judged[0]
    box = page.locator(f"[name=score_{first.pk}]").bounding_box()
    assert box is not None and box["height"] >= MIN_TARGET, box
    save = page.get_by_role("button", name="保存草稿").bounding_box()
    assert save is not None and save["height"] >= MIN_TARGET, save

    for indicator in tree.judged[:2]:
        page.fill(f"[name=score_{indicator.pk}]", str(indicator.weight))
    expected = sum(i.weight for i in tree.judged[:2])
    expect(page.locator("#running-total")).to_have_text(f"{expected:g}")
    page.watched.assert_clean()
