"""Accessibility of the main pages of every role, checked in Chromium with axe-core.

The vendored axe-core (tests/browser/vendor/, MPL-2.0, never fetched from a CDN) is injected
into each page, which is then checked against the WCAG 2 A and AA rules: a violation of impact
"serious" or "critical" fails the test, with each rule's id, help and the offending nodes. Each
page is one test, so that a page whose template is being fixed elsewhere can be marked
xfail(strict=True) alone (none is, today). Forms are checked again as re-shown with errors:
the errors must be announced and tied to their fields.

Then keyboard use: on the login form and on a score sheet, Tab moves through the fields in
their visual order, and every stop shows a focus ring of 3:1 contrast or more against what is
behind it (WCAG 1.4.11; axe-core does not check focus styles).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.factories import (
    InvitationFactory,
    OfficeFactory,
    OrganisationFactory,
    complete_application,
    force_state,
    member,
    published_call,
    review_call,
    review_panel,
)
from workflow.choices import InvitationState, Role

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
BLOCKING = {"serious", "critical"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\n/g, ' '))
  }));
}"""


def url(name: str, *args: Any) -> str:
    return reverse(f"portal:{name}", args=args)


def axe_violations(page) -> list[dict]:
    """The serious and critical WCAG 2 A/AA violations axe-core finds on the open page."""
    # Not page.add_script_tag: the portal's Content-Security-Policy (script-src 'self') refuses
    # an inline <script>. Evaluated through DevTools, which the policy does not govern, and only
    # here: the pages themselves stay under their real policy.
    page.evaluate(AXE_SOURCE)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"][:8])
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


# The pages: each builder makes its set-up and returns (user or None for the public, path). ----


def public_home():
    published_call(title="新能源汽车产教融合实训基地")
    return None, url("home")


def public_call_list():
    published_call(title="新能源汽车产教融合实训基地")
    return None, url("call_list")


def public_call_detail():
    return None, url("call_detail", published_call().pk)


def public_notices():
    from tests.workflow.publicity_helpers import call_in_notice

    call_in_notice()
    return None, url("publicity_list")


def public_award_register():
    from tests.factories_aftercare import awarded_project

    awarded_project()
    return None, url("award_list")


def login_page():
    return None, reverse("login")


def _applicant_with_draft():
    application = complete_application(organisation=OrganisationFactory(name="太原职业技术学院"))
    return member(Role.APPLICANT, application.organisation), application


def applicant_list():
    applicant, _application = _applicant_with_draft()
    return applicant, url("application_list")


def applicant_detail():
    applicant, application = _applicant_with_draft()
    return applicant, url("application_detail", application.pk)


def applicant_form():
    call = published_call()
    return member(Role.APPLICANT, OrganisationFactory()), url("application_create", call.pk)


def expert_invitations():
    invitation = InvitationFactory()
    force_state(invitation, InvitationState.INVITED)
    return invitation.expert.user, url("invitation_list")


def _panel():
    call, staff, applications = review_call(applications=2)
    _draw, sheets = review_panel(call, applications, experts=1)
    ((expert, assignments),) = sheets.items()
    return call, staff, expert, assignments


def expert_assignments():
    _call, _staff, expert, _assignments = _panel()
    return expert.user, url("expert_assignment_list")


def expert_score_sheet():
    _call, _staff, expert, assignments = _panel()
    return expert.user, url("expert_sheet", assignments[0].pk)


def _submitted():
    from workflow.services.applications import application_submit

    application = complete_application()
    application_submit(application=application, by=member(Role.APPLICANT, application.organisation))
    staff = member(Role.OFFICE_STAFF, application.call.office)
    return staff, application


def office_queue():
    staff, _application = _submitted()
    return staff, url("office_queue")


def office_call_detail():
    staff, application = _submitted()
    return staff, url("office_call_detail", application.call.pk)


def office_formal_check():
    staff, application = _submitted()
    return staff, url("office_application_detail", application.pk)


def office_ranking():
    call, staff, _expert, _assignments = _panel()
    return staff, url("office_ranking", call.pk)


def office_draw_page():
    call, staff, _applications = review_call(applications=2)
    return staff, url("draw_page", call.pk)


def office_values_verify():
    call, staff, applications = review_call(applications=1)
    return staff, url("office_values_verify", call.pk, applications[0].pk)


def countersign_page():
    from tests.factories_approval import CountersignCall

    setup = CountersignCall(departments=2)
    setup.open()
    return setup.approvers[0], url("countersign_sign", setup.countersign(0).pk)


def agreement_edit():
    from tests.factories_landing import landing_parties

    application, staff, _applicant = landing_parties()
    return staff, url("agreement_edit", application.pk)


def agreement_to_confirm():
    from tests.factories_landing import landing_parties, sent_agreement

    application, staff, applicant = landing_parties()
    sent_agreement(application, staff)
    return applicant, url("agreement_detail", application.pk)


def countersign_inbox():
    from tests.factories_approval import CountersignCall

    setup = CountersignCall(departments=2)
    setup.open()
    return setup.approvers[0], url("countersign_inbox")


def director_page():
    from tests.processes.helpers import Notice

    world = Notice()
    return world.director, url("director_decision", world.call.pk)


def my_tasks():
    staff, _application = _submitted()
    return staff, url("task_list")


def audit_trail():
    _submitted()
    return member(Role.SUPERVISOR, OfficeFactory()), url("audit_list")


PAGES: dict[str, Callable[[], tuple[Any, str]]] = {
    "public_home": public_home,
    "public_call_list": public_call_list,
    "public_call_detail": public_call_detail,
    "public_notices": public_notices,
    "public_award_register": public_award_register,
    "login": login_page,
    "applicant_list": applicant_list,
    "applicant_detail": applicant_detail,
    "applicant_form": applicant_form,
    "expert_invitations": expert_invitations,
    "expert_assignments": expert_assignments,
    "expert_score_sheet": expert_score_sheet,
    "office_queue": office_queue,
    "office_call_detail": office_call_detail,
    "office_formal_check": office_formal_check,
    "office_ranking": office_ranking,
    "office_draw": office_draw_page,
    "office_values_verify": office_values_verify,
    "countersign_inbox": countersign_inbox,
    "countersign_sign": countersign_page,
    "director_decision": director_page,
    "my_tasks": my_tasks,
    "office_agreement_edit": agreement_edit,
    "applicant_agreement": agreement_to_confirm,
    "audit_trail": audit_trail,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_wcag_violations(page, login, name):
    user, path = PAGES[name]()
    if user is not None:
        login(user)
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    violations = axe_violations(page)
    assert not violations, f"{name} ({path}):\n{describe(violations)}"
    page.watched.assert_clean()


# Forms with errors ---------------------------------------------------------------------------


def test_the_login_form_with_an_error_is_accessible_and_announces_it(page):
    page.goto(reverse("login"))
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong password")
    with page.expect_navigation():
        page.locator("main form.stacked button[type=submit]").click()
    alert = page.locator("main form [role=alert]")
    assert alert.count() == 1 and alert.inner_text().strip()
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.watched.assert_clean()


def test_a_score_sheet_with_errors_ties_each_error_to_its_field(page, login):
    _call, _staff, expert, assignments = _panel()
    login(expert.user)
    page.goto(url("expert_sheet", assignments[0].pk))
    with page.expect_navigation():  # submitted empty: every mark is missing
        page.locator("main form button[name=action][value=submit]").click()
    assert page.locator("main [role=alert]").count() >= 1
    invalid = page.locator("main form [aria-invalid=true]")
    assert invalid.count() >= 1
    for i in range(invalid.count()):
        field = invalid.nth(i)
        described = field.get_attribute("aria-describedby") or ""
        assert described, f"{field.get_attribute('name')}: the error is not tied to the field"
        texts = [page.locator(f"#{ref}").inner_text() for ref in described.split()]
        assert any(t.strip() for t in texts), field.get_attribute("name")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.watched.assert_clean()


# Keyboard ------------------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const rgb = (text) => (text.match(/rgba?\\([^)]*\\)/g) || [])
    .map(c => c.match(/[\\d.]+/g).map(Number))
    .filter(c => c.length < 4 || c[3] > 0).map(c => c.slice(0, 3));
  let behind = [255, 255, 255];
  for (let up = el.parentElement; up; up = up.parentElement) {
    const found = rgb(getComputedStyle(up).backgroundColor);
    if (found.length) { behind = found[0]; break; }
  }
  const rings = [];
  if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) {
    rings.push(...rgb(style.outlineColor));
  }
  if (style.boxShadow !== 'none') rings.push(...rgb(style.boxShadow));
  return {
    name: el.getAttribute('name') || el.id || el.textContent.trim().slice(0, 30),
    tag: el.tagName.toLowerCase(), top: box.top + window.scrollY, rings, behind,
  };
}"""


def luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: list[float], other: list[float]) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def tab_through(page, start: str, count: int) -> list[dict]:
    """Focus `start` and press Tab up to `count` times; the focused element at each stop, until
    focus leaves the page's last control (to the document itself)."""
    page.focus(start)
    stops = [page.evaluate(FOCUSED)]
    for _ in range(count):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop["tag"] == "body":
            break
        stops.append(stop)
    return stops


def assert_visible_focus(stops: list[dict]) -> None:
    """Every stop shows a focus ring (an outline of 2px or more, or a box shadow) with a colour
    of 3:1 or more against what is behind the control (WCAG 1.4.11, non-text contrast)."""
    faint = [
        (s["name"], s["rings"], s["behind"])
        for s in stops
        if not any(contrast(ring, s["behind"]) >= 3 for ring in s["rings"])
    ]
    assert not faint, f"focused without a visible focus ring: {faint}"


def test_login_form_tab_order_follows_the_fields_with_a_visible_focus(page):
    page.goto(reverse("login"))
    # Start from the main content, as the skip link does.
    stops = tab_through(page, "#id_username", 2)
    assert [s["name"] for s in stops[:2]] == ["username", "password"]
    assert stops[2]["tag"] == "button"
    tops = [s["top"] for s in stops]
    assert tops == sorted(tops), stops
    assert_visible_focus(stops)


def test_score_sheet_tab_order_follows_the_rows_with_a_visible_focus(page, login):
    _call, _staff, expert, assignments = _panel()
    login(expert.user)
    page.goto(url("expert_sheet", assignments[0].pk))
    fields = page.locator("main form [name^=score_], main form [name^=comment_]")
    names = [fields.nth(i).get_attribute("name") for i in range(fields.count())]
    assert len(names) >= 4
    # Between two fields Tab may stop on a row's help link or button: three presses a field
    # are plenty. The fields are reached all, in document order (score, then its comment, row
    # after row), and the rows go down the page.
    stops = tab_through(page, f"[name={names[0]}]", 3 * len(names))
    reached = [s for s in stops if s["name"] in names]
    assert [s["name"] for s in reached][: len(names)] == names, [s["name"] for s in stops]
    tops = [s["top"] for s in reached[: len(names)] if s["name"].startswith("score_")]
    assert tops == sorted(tops), reached
    assert_visible_focus(stops)
