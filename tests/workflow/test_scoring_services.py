"""Score sheets, verified values, ranking and the shortlist, through the services."""

from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.factories import (
    AssignmentFactory,
    OfficeFactory,
    OrganisationFactory,
    ReviewExpertFactory,
    force_state,
    judged_total,
    marks_at,
    member,
    review_call,
    review_panel,
    submit_at,
)
from workflow.choices import ApplicationState, AssignmentState, CallState, DrawState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, Indicator, Score
from workflow.rules.scoring import Mark
from workflow.selectors.scoring import panel_totals
from workflow.services.ranking import (
    ranking_compute,
    shortlist_confirm,
)
from workflow.services.scoring import (
    score_sheet_explain,
    score_sheet_reopen,
    score_sheet_save_draft,
    score_sheet_submit,
    value_verify,
    values_verify,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(_chinese_by_default):
    with translation.override("en"):
        yield


@pytest.fixture
def review():
    call, staff, applications = review_call(applications=2)
    draw, sheets = review_panel(call, applications, experts=3)
    return call, staff, applications, draw, sheets


def first_sheet(sheets):
    expert = next(iter(sheets))
    return expert, sheets[expert][0]


def verify_all(call, staff, applications, values=None):
    """Verify the Shanxi rubric's quantitative values (6.3 and 6.4) and clear its veto items."""
    for n, application in enumerate(applications):
        given = (values or {}).get(application.pk, {"6.3": "1000", "6.4": str(10 + n)})
        values_verify(
            application=application,
            by=staff,
            values={
                "6.3": (given["6.3"], "核对培训记录"),
                "6.4": (given["6.4"], "核对合作协议"),
                "7": (given.get("7", "0"), given.get("7_note", "")),
                "8": ("0", ""),
                "9": ("0", ""),
            },
        )


def events(action):
    return AuditEvent.objects.filter(action=action)


# Score sheets --------------------------------------------------------------------------------


def test_draft_saves_part_of_a_sheet_and_audits_the_change(review):
    _call, _staff, _apps, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    score_sheet_save_draft(
        assignment=sheet, by=expert.user, marks={"1.1": Mark(D("6.5"), "设备较先进")}
    )
    assert Score.objects.get(assignment=sheet).value == D("6.5")
    event = events("score_sheet.save").get()
    assert event.diff["scores"]["1.1"] == {"old": None, "new": ["6.50", "设备较先进"]}
    assert event.role == Role.EXPERT
    # Saving the same again changes nothing and records nothing.
    score_sheet_save_draft(
        assignment=sheet, by=expert.user, marks={"1.1": Mark(D("6.50"), "设备较先进")}
    )
    assert events("score_sheet.save").count() == 1
    # An empty mark clears it.
    score_sheet_save_draft(assignment=sheet, by=expert.user, marks={"1.1": Mark(None)})
    assert not Score.objects.filter(assignment=sheet).exists()


def test_marks_out_of_range_are_refused_naming_the_indicator(review):
    _call, _staff, _apps, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    with pytest.raises(Invalid) as exc:
        score_sheet_save_draft(
            assignment=sheet,
            by=expert.user,
            marks={"1.1": Mark(D(9)), "6.3": Mark(D(1)), "zz": Mark(D(1))},
        )
    assert len(exc.value.problems) == 3
    assert "“1.1 实训条件与设施设备”" in exc.value.problems[0]
    assert not Score.objects.exists()


def test_submit_needs_every_mark_and_comments_on_unusual_ones(review):
    call, _staff, _apps, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    with pytest.raises(Invalid) as exc:
        score_sheet_submit(assignment=sheet, by=expert.user, marks={"1.1": Mark(D("6.4"))})
    assert len(exc.value.problems) == 13  # 14 judged indicators, one marked
    assert not Score.objects.exists()  # a refused submission saves nothing

    marks = marks_at(call, "0.8")
    marks["1.1"] = Mark(D("7.8"))  # 97.5 % of 8: unusually high
    marks["1.2"] = Mark(D("5"))  # 55.6 % of 9: unusually low
    with pytest.raises(Invalid) as exc:
        score_sheet_submit(assignment=sheet, by=expert.user, marks=marks)
    assert len(exc.value.problems) == 2
    assert "unusually high" in exc.value.problems[0] and "“1.1" in exc.value.problems[0]
    assert "unusually low" in exc.value.problems[1] and "“1.2" in exc.value.problems[1]

    marks["1.1"] = Mark(D("7.8"), "已建成虚拟仿真实训系统，设备国内领先")
    marks["1.2"] = Mark(D("5"), "双师型教师比例偏低")
    score_sheet_submit(assignment=sheet, by=expert.user, marks=marks)
    sheet.refresh_from_db()
    assert sheet.state == AssignmentState.SUBMITTED and sheet.submitted_at
    event = events("assignment.submit").get()
    assert event.diff["total"] == str(
        judged_total(call, "0.8") - D("6.4") + D("7.8") - D("7.2") + 5
    )
    assert len(event.diff["digest"]) == 64


def test_a_submitted_sheet_is_locked(review):
    _call, _staff, _apps, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    submit_at(sheet, "0.8")
    with pytest.raises(Conflict):
        score_sheet_save_draft(assignment=sheet, by=expert.user, marks={"1.1": Mark(D(1))})
    with pytest.raises(Conflict):
        score_sheet_submit(assignment=sheet, by=expert.user)


def test_office_reopens_with_a_reason_and_the_new_values_are_audited(review):
    _call, staff, _apps, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    submit_at(sheet, "0.8")
    score_sheet_explain(assignment=sheet, by=expert.user, explanation="见评分意见")
    with pytest.raises(Invalid):
        score_sheet_reopen(assignment=sheet, by=staff, reason="  ")
    score_sheet_reopen(assignment=sheet, by=staff, reason="1.1项评分畸高，请复核")
    sheet.refresh_from_db()
    assert sheet.state == AssignmentState.REOPENED
    assert sheet.reopen_reason == "1.1项评分畸高，请复核" and sheet.explanation == ""
    reopen = events("assignment.reopen").get()
    assert reopen.reason == "1.1项评分畸高，请复核" and reopen.role == Role.OFFICE_STAFF
    assert reopen.diff == {"explanation_cleared": "见评分意见"}

    score_sheet_submit(
        assignment=sheet, by=expert.user, marks={"1.1": Mark(D("6.0"), "复核后调整")}
    )
    change = events("score_sheet.save").last()
    assert change.diff["scores"]["1.1"] == {
        "old": ["6.40", "依据申报材料评分"],
        "new": ["6.00", "复核后调整"],
    }
    assert events("assignment.submit").count() == 2


def test_reopen_only_by_the_calls_office_and_only_during_review(review):
    _call, staff, applications, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    submit_at(sheet, "0.8")
    other_office = member(Role.OFFICE_STAFF, OfficeFactory())
    applicant = member(Role.APPLICANT, applications[0].organisation)
    for user in (expert.user, other_office, applicant):
        with pytest.raises(NotPermitted):
            score_sheet_reopen(assignment=sheet, by=user, reason="复核")
    with pytest.raises(Conflict):
        score_sheet_reopen(assignment=sheets[expert][1], by=staff, reason="复核")  # still open
    force_state(applications[0], ApplicationState.REVIEWED)
    with pytest.raises(Conflict):
        score_sheet_reopen(assignment=sheet, by=staff, reason="复核")


def test_every_wrong_role_is_refused_a_sheet(review):
    call, staff, applications, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    unassigned = ReviewExpertFactory().user  # in the pool, not on this sheet
    _call2, _staff2, other_apps = review_call(applications=1)
    other_call_expert = AssignmentFactory(application=other_apps[0]).expert.user
    applicant = member(Role.APPLICANT, applications[0].organisation)
    stranger = member(Role.APPLICANT, OrganisationFactory())
    superuser = get_user_model().objects.create_superuser("root", password="x")
    colleague = next(e for e in sheets if e != expert).user  # on the panel, another sheet
    for user in (unassigned, other_call_expert, applicant, stranger, staff, superuser, colleague):
        with pytest.raises(NotPermitted):
            score_sheet_save_draft(assignment=sheet, by=user, marks={"1.1": Mark(D(6))})
        with pytest.raises(NotPermitted):
            score_sheet_submit(assignment=sheet, by=user, marks=marks_at(call, "0.8"))
    assert not Score.objects.exists()


def test_a_void_sheet_and_a_finished_review_cannot_be_scored(review):
    _call, _staff, applications, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    force_state(sheet, AssignmentState.VOID)
    with pytest.raises(Conflict):
        score_sheet_save_draft(assignment=sheet, by=expert.user, marks={"1.1": Mark(D(6))})
    other = sheets[expert][1]
    force_state(applications[1], ApplicationState.REVIEWED)
    with pytest.raises(Conflict):
        score_sheet_save_draft(assignment=other, by=expert.user, marks={"1.1": Mark(D(6))})


def test_explanation_only_by_the_sheets_expert_after_submission(review):
    _call, staff, _apps, _draw, sheets = review
    expert, sheet = first_sheet(sheets)
    with pytest.raises(Conflict):
        score_sheet_explain(assignment=sheet, by=expert.user, explanation="理由")
    submit_at(sheet, "0.8")
    for user in (staff, next(e for e in sheets if e != expert).user):
        with pytest.raises(NotPermitted):
            score_sheet_explain(assignment=sheet, by=user, explanation="理由")
    with pytest.raises(Invalid):
        score_sheet_explain(assignment=sheet, by=expert.user, explanation=" ")
    score_sheet_explain(assignment=sheet, by=expert.user, explanation="该项目产业对接度不足")
    sheet.refresh_from_db()
    assert sheet.explanation == "该项目产业对接度不足"
    assert events("score_sheet.explain").get().diff["explanation"]["new"] == "该项目产业对接度不足"


# Verified values and veto items ----------------------------------------------------------------


def test_values_are_verified_by_the_office_with_a_note_when_they_differ(review):
    call, staff, applications, _draw, _sheets = review
    application = applications[0]
    application.indicator_values = {"6.3": "1200", "6.4": 12}
    application.save(update_fields=["indicator_values"])
    training = Indicator.objects.get(rubric__call=call, code="6.3")
    with pytest.raises(Invalid) as exc:
        value_verify(application=application, indicator=training, by=staff, verified="1000")
    assert "1200" in exc.value.problems[0] and "“6.3 年培训规模”" in exc.value.problems[0]
    row = value_verify(
        application=application,
        indicator=training,
        by=staff,
        verified="1000",
        note="培训记录只有1000人次",
    )
    assert (row.declared, row.verified, row.verified_by) == (D(1200), D(1000), staff)
    event = events("value.verify").get()
    assert event.diff["values"]["6.3"] == {
        "declared": "1200",
        "old": None,
        "new": "1000",
        "note": "培训记录只有1000人次",
    }
    # Matching the declared value needs no note.
    values_verify(application=application, by=staff, values={"6.4": ("12", "")})
    for bad in ("-1", "abc", "1.00001"):
        with pytest.raises(Invalid):
            values_verify(application=application, by=staff, values={"6.4": (bad, "x")})
    with pytest.raises(Invalid):
        values_verify(application=application, by=staff, values={"1.1": ("5", "x")})  # judged


def test_veto_facts_are_established_with_evidence(review):
    _call, staff, applications, _draw, _sheets = review
    application = applications[0]
    with pytest.raises(Invalid):
        values_verify(application=application, by=staff, values={"7": ("1", "")})
    with pytest.raises(Invalid):
        values_verify(application=application, by=staff, values={"7": ("2", "x")})
    values_verify(
        application=application, by=staff, values={"7": ("1", "应急管理局通报：2024年重大事故")}
    )


def test_only_the_calls_office_verifies(review):
    call, _staff, applications, _draw, sheets = review
    expert, _sheet = first_sheet(sheets)
    training = Indicator.objects.get(rubric__call=call, code="6.3")
    others = (
        member(Role.OFFICE_STAFF, OfficeFactory()),
        member(Role.APPLICANT, applications[0].organisation),
        expert.user,
    )
    for user in others:
        with pytest.raises(NotPermitted):
            value_verify(application=applications[0], indicator=training, by=user, verified="5")


# Ranking ---------------------------------------------------------------------------------------


def test_quantitative_scores_in_the_ranking_are_the_shaoxing_rule(review):
    call, staff, applications, _draw, sheets = review
    for rows in sheets.values():
        for sheet in rows:
            submit_at(sheet, "0.8")
    a, b = applications
    # 6.3 年培训规模 (5 points): 1000 is best → 5; 800 → 5 × 800/1000 = 4.
    # 6.4 签约合作企业数 (5 points): 20 is best → 5; 10 → 5 × 10/20 = 2.5.
    verify_all(
        call,
        staff,
        applications,
        {a.pk: {"6.3": "1000", "6.4": "10"}, b.pk: {"6.3": "800", "6.4": "20"}},
    )
    ranking = ranking_compute(call=call)
    assert ranking.problems == []
    by_id = {row.application_id: row for row in ranking.rows}
    assert by_id[a.pk].quantitative == D("7.50")  # 5 + 2.5
    assert by_id[b.pk].quantitative == D("9.00")  # 4 + 5
    assert by_id[a.pk].judged == by_id[b.pk].judged == D("72.00")
    assert by_id[b.pk].total == D("81.00") and by_id[a.pk].total == D("79.50")
    assert [row.application_id for row in ranking.rows] == [b.pk, a.pk]


def panel_of(n):
    call, staff, applications = review_call(applications=1, quota=1)
    _draw, sheets = review_panel(call, applications, experts=n)
    verify_all(call, staff, applications)
    return call, staff, applications, [rows[0] for rows in sheets.values()]


def test_trimmed_mean_with_five_sheets_drops_the_highest_and_lowest():
    call, _staff, _apps, sheets = panel_of(5)
    # The 14 judged indicators weigh 90 points: totals 45, 63, 67.5, 72 and 88.2.
    for sheet, share in zip(sheets, ["0.5", "0.7", "0.75", "0.8", "0.98"], strict=True):
        submit_at(sheet, share)
        if share in ("0.5", "0.98"):  # 22.14 and 21.06 from the mean 67.14: flagged
            score_sheet_explain(assignment=sheet, by=sheet.expert.user, explanation="已说明")
    row = ranking_compute(call=call).rows[0]
    assert sorted(s.total for s in row.sheets) == [D("45"), D("63"), D("67.5"), D("72"), D("88.2")]
    assert row.judged == D("67.50")  # 45 and 88.2 dropped: (63 + 67.5 + 72) / 3


def test_trimmed_mean_with_four_sheets_is_the_plain_mean():
    call, _staff, _apps, sheets = panel_of(4)
    for sheet, share in zip(sheets, ["0.7", "0.75", "0.8", "0.9"], strict=True):
        submit_at(sheet, share)
    row = ranking_compute(call=call).rows[0]
    assert row.judged == D("70.88")  # (63 + 67.5 + 72 + 81) / 4 = 70.875, rounded half up


def test_dispersion_is_flagged_and_blocks_the_shortlist_until_explained(review):
    call, staff, applications, _draw, sheets = review
    experts = list(sheets)
    for expert in experts:
        for sheet in sheets[expert]:
            submit_at(sheet, "0.5" if expert == experts[2] else "0.8")
    verify_all(call, staff, applications)
    # totals 72, 72, 45: mean 63, the third is 18 points away (> 15)
    ranking = ranking_compute(call=call)
    flagged = [s for row in ranking.rows for s in row.sheets if s.flagged]
    assert {s.expert_id for s in flagged} == {experts[2].pk}
    assert len(ranking.problems) == 2 and experts[2].name in ranking.problems[0]
    with pytest.raises(Invalid) as exc:
        shortlist_confirm(call=call, by=staff)
    assert len(exc.value.problems) == 2
    for sheet in sheets[experts[2]]:
        score_sheet_explain(assignment=sheet, by=experts[2].user, explanation="方案可行性存疑")
    assert ranking_compute(call=call).is_final


def test_confirm_shortlists_the_quota_and_records_the_ranking():
    call, staff, applications = review_call(applications=3, quota=1)
    _draw, sheets = review_panel(call, applications, experts=3)
    shares = {applications[0].pk: "0.7", applications[1].pk: "0.8", applications[2].pk: "0.9"}
    for rows in sheets.values():
        for sheet in rows:
            submit_at(sheet, shares[sheet.application_id])
    with pytest.raises(Invalid):
        shortlist_confirm(call=call, by=staff)  # values not verified
    # The best application is disqualified by an established veto item.
    verify_all(
        call,
        staff,
        applications,
        {
            applications[2].pk: {"6.3": "1000", "6.4": "12", "7": "1", "7_note": "安全事故通报"},
        },
    )
    with pytest.raises(NotPermitted):
        shortlist_confirm(call=call, by=member(Role.OFFICE_STAFF, OfficeFactory()))
    ranking = shortlist_confirm(call=call, by=staff, reason="经评审委员会复核")
    states = {a.pk: a.state for a in type(applications[0]).objects.filter(call=call)}
    assert states == {
        applications[1].pk: ApplicationState.SHORTLISTED,
        applications[0].pk: ApplicationState.NOT_SELECTED,
        applications[2].pk: ApplicationState.NOT_SELECTED,
    }
    assert [r.application_id for r in ranking.rows] == [
        applications[1].pk,
        applications[0].pk,
        applications[2].pk,
    ]
    assert ranking.rows[2].vetoed and not ranking.rows[2].proposed
    vetoed = events("application.not_select").get(object_id=str(applications[2].pk))
    assert "veto" in vetoed.reason and "近三年发生重大安全生产事故" in vetoed.reason
    record = events("ranking.confirm").get()
    assert record.diff["quota"] == 1 and record.diff["reason"] == "经评审委员会复核"
    assert [r["application"] for r in record.diff["ranking"]] == [
        r.application_id for r in ranking.rows
    ]
    with pytest.raises(Conflict):
        shortlist_confirm(call=call, by=staff)
    with pytest.raises(Conflict):
        score_sheet_reopen(assignment=sheets[next(iter(sheets))][0], by=staff, reason="复核")


def test_confirm_refused_outside_review():
    call, staff, _applications = review_call(applications=1)
    force_state(call, CallState.PUBLICITY)
    with pytest.raises(Conflict):
        shortlist_confirm(call=call, by=staff)


def test_ranking_query_count_does_not_grow_with_applications():
    def measure(n):
        call, staff, applications = review_call(applications=n)
        _draw, sheets = review_panel(call, applications, experts=3)
        for rows in sheets.values():
            for sheet in rows:
                submit_at(sheet, "0.8")  # every application ties: the tie-break query runs
        verify_all(
            call, staff, applications, {a.pk: {"6.3": "100", "6.4": "5"} for a in applications}
        )
        with CaptureQueriesContext(connection) as ctx:
            ranking = ranking_compute(call=call)
        assert len(ranking.rows) == n
        return len(ctx.captured_queries)

    assert measure(2) == measure(6)


# Blind review ------------------------------------------------------------------------------------


def test_panel_totals_are_hidden_until_the_draw_is_closed(review):
    _call, _staff, _apps, draw, sheets = review
    experts = list(sheets)
    for expert, share in zip(experts, ["0.8", "0.7", "0.9"], strict=True):
        submit_at(sheets[expert][0], share)
    mine = sheets[experts[0]][0]
    assert panel_totals(mine) is None
    force_state(draw, DrawState.CLOSED)
    mine.invitation.draw.refresh_from_db()
    totals = panel_totals(mine)
    assert [t.label for t in totals] == ["Expert 1", "Expert 2", "Expert 3"]
    assert [t.total for t in totals] == [D("81.00"), D("72.00"), D("63.00")]
    assert [t.is_own for t in totals] == [False, True, False]


def test_equal_totals_are_decided_by_the_first_level1_indicator(review):
    call, staff, applications, _draw, sheets = review
    a, b = applications
    for expert, rows in sheets.items():
        for sheet in rows:
            marks = marks_at(call, "0.8", "依据申报材料评分")
            if sheet.application_id == b.pk:
                # Same total; half a point moves from 创新功能 (2.1) to 实训功能 (1.1).
                marks["1.1"] = Mark(marks["1.1"].value + D("0.5"), "依据申报材料评分")
                marks["2.1"] = Mark(marks["2.1"].value - D("0.5"), "依据申报材料评分")
            score_sheet_submit(assignment=sheet, by=expert.user, marks=marks)
    verify_all(call, staff, applications, {x.pk: {"6.3": "100", "6.4": "5"} for x in applications})
    ranking = ranking_compute(call=call)
    assert ranking.rows[0].total == ranking.rows[1].total == D("82.00")
    assert [r.application_id for r in ranking.rows] == [b.pk, a.pk]
    assert ranking.rows[1].decided_by == "level1" and ranking.rows[1].level1_index == 0
    assert "1 实训功能" in ranking.tie_break_label(ranking.rows[1])


def test_the_sheet_total_is_fixed_on_submission_and_cleared_on_reopening(review):
    call, staff, _applications, _draw, sheets = review
    _expert, sheet = first_sheet(sheets)
    submit_at(sheet, "0.8")
    sheet.refresh_from_db()
    assert sheet.total == judged_total(call, "0.8")
    score_sheet_reopen(assignment=sheet, by=staff, reason="复核")
    sheet.refresh_from_db()
    assert sheet.total is None
