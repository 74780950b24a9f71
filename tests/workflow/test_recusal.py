"""The recusal rules one by one, each with a case that fires and one that does not. No database."""

import datetime as dt

import pytest

from workflow.rules import recusal as r

TODAY = dt.date(2026, 11, 22)
APP = r.ApplicationFacts(
    application_id=100,
    organisation_id=1,
    partner_ids=frozenset({2}),
    legal_representative="王建国",
    project_lead="李 四",
    avoided_expert_ids=frozenset({77}),
    office_id=9,
    department_ids=frozenset({31, 32}),
    call_party_ids=frozenset({1, 2, 5, 6}),
    names={1: "太原理工大学", 2: "太原重工", 5: "山西农业大学"},
)


def expert(**facts) -> r.ExpertFacts:
    return r.ExpertFacts(expert_id=facts.pop("expert_id", 50), **facts)


CASES = [
    # (rule function, facts that fire, facts that do not)
    (r.employed_now, {"employer_id": 2}, {"employer_id": 3}),
    (
        r.employed_recently,
        {"former_employers": ((1, dt.date(2024, 1, 31)),)},
        {"former_employers": ((1, dt.date(2023, 11, 21)),)},
    ),
    (
        r.controls_a_party,
        {"control_roles": ((2, "director"),)},
        {"control_roles": ((2, "shareholder"),)},
    ),
    (r.kin_of_applicant, {"kin": ((1, "李四"),)}, {"kin": ((2, "李四"),)}),
    (r.avoidance_accepted, {"expert_id": 77}, {"expert_id": 78}),
    (
        r.supervises_the_call,
        {"department_ids": frozenset({32})},
        {"department_ids": frozenset({33})},
    ),
    (r.competitor, {"employer_id": 5}, {"employer_id": 7}),
    (
        r.declared_conflict,
        {"declared_conflicts": frozenset({100})},
        {"declared_conflicts": frozenset({101})},
    ),
]


@pytest.mark.parametrize(("rule", "fires", "quiet"), CASES, ids=[c[0].__name__ for c in CASES])
def test_rule_fires_and_stays_quiet(rule, fires, quiet):
    hit = rule(expert(**fires), APP, TODAY)
    assert hit is not None
    assert hit.rule == r.RULES.index(rule) + 1
    assert hit.fact
    assert rule(expert(**quiet), APP, TODAY) is None


def test_undated_former_employment_counts_as_recent():
    hit = r.employed_recently(expert(former_employers=((1, None),)), APP, TODAY)
    assert hit is not None and hit.rule == 2


def test_three_year_boundary_on_a_leap_day():
    leap = dt.date(2028, 2, 29)
    assert r.employed_recently(expert(former_employers=((1, dt.date(2025, 2, 28)),)), APP, leap)
    assert not r.employed_recently(expert(former_employers=((1, dt.date(2025, 2, 27)),)), APP, leap)


def test_office_staff_of_the_supervising_office_is_excluded():
    assert r.supervises_the_call(expert(office_ids=frozenset({9})), APP, TODAY).rule == 6
    assert r.supervises_the_call(expert(office_ids=frozenset({8})), APP, TODAY) is None


def test_fact_names_the_organisation():
    hit = r.employed_now(expert(employer_id=1), APP, TODAY)
    assert "太原理工大学" in hit.fact


def test_every_firing_rule_is_reported_in_order():
    e = expert(employer_id=1, former_employers=((2, None),), declared_conflicts=frozenset({100}))
    assert [x.rule for x in r.exclusions(e, APP, TODAY)] == [1, 2, 8]


def test_excluded_pairs_finds_exactly_what_the_rules_find():
    experts = [
        expert(expert_id=1, employer_id=1),
        expert(expert_id=2, employer_id=3),
        expert(expert_id=77),
        expert(expert_id=4, kin=((1, "王建国"),)),
        expert(expert_id=5, office_ids=frozenset({9})),
        expert(expert_id=6, employer_id=6),
    ]
    other = r.ApplicationFacts(
        application_id=200, organisation_id=5, call_party_ids=APP.call_party_ids
    )
    found = r.excluded_pairs(experts, [APP, other], TODAY)
    brute = {
        a.application_id: {e.expert_id for e in experts if r.exclusions(e, a, TODAY)}
        for a in (APP, other)
    }
    assert {app: set(by) for app, by in found.items()} == {k: v for k, v in brute.items() if v}
    assert set(found[100]) == {1, 77, 4, 5, 6}
    # competitors there: employed by parties of the call other than application 200's own
    assert set(found[200]) == {1, 6}
