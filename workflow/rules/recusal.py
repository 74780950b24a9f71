"""回避: when an expert must not review an application, as plain functions.

Each rule takes what is known of the expert and of the application and returns an Exclusion
naming the rule and the fact that fired, or None. The sources:

1-2. employment, now or within the last 3 years (政府采购法实施条例 第九条(一); 国家自然科学基金条例
     第十九条 "同一法人单位");
3.   director, supervisor, controlling shareholder or actual controller (第九条(二)(三));
4.   kinship with the applicant's legal representative or project lead (第九条(四));
5.   named in the applicant's accepted avoidance request (第九条 末款; 基金条例 第十九条);
6.   staff of the office or a department supervising the call (招标投标法实施条例 第四十六条);
7.   employed by an applicant or partner of another application to the same call (a competitor:
     基金条例 第十九条 "同一或者相近项目");
8.   a conflict the expert declared when answering the invitation (主动回避, 第四十六条).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from workflow.choices import ExpertRelationKind as R

EMPLOYMENT_LOOKBACK_YEARS = 3
CONTROL_KINDS = frozenset(
    {R.DIRECTOR, R.SUPERVISOR, R.CONTROLLING_SHAREHOLDER, R.ACTUAL_CONTROLLER}
)


@dataclass(frozen=True)
class ExpertFacts:
    expert_id: int
    employer_id: int | None = None
    former_employers: tuple[tuple[int, dt.date | None], ...] = ()  # (organisation, ended on)
    control_roles: tuple[tuple[int, str], ...] = ()  # (organisation, relation kind)
    kin: tuple[tuple[int, str], ...] = ()  # (organisation, person's name)
    office_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()
    declared_conflicts: frozenset[int] = frozenset()  # application ids


@dataclass(frozen=True)
class ApplicationFacts:
    application_id: int
    organisation_id: int
    partner_ids: frozenset[int] = frozenset()
    legal_representative: str = ""
    project_lead: str = ""
    avoided_expert_ids: frozenset[int] = frozenset()
    office_id: int | None = None
    department_ids: frozenset[int] = frozenset()
    # Applicants and partners of every application to the call (one shared set per call).
    call_party_ids: frozenset[int] = frozenset()
    names: dict[int, str] = field(default_factory=dict, compare=False)  # organisation id -> name

    @property
    def parties(self) -> frozenset[int]:
        return frozenset({self.organisation_id}) | self.partner_ids

    def name_of(self, organisation_id: int) -> str:
        return self.names.get(organisation_id, f"#{organisation_id}")


@dataclass(frozen=True)
class Exclusion:
    rule: int
    code: str
    fact: str


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _same_person(a: str, b: str) -> bool:
    return bool(a.strip()) and "".join(a.split()) == "".join(b.split())


def employed_now(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    if e.employer_id is not None and e.employer_id in a.parties:
        return Exclusion(
            1,
            "employed_now",
            _("Works for %(org)s, a party to the application.") % {"org": a.name_of(e.employer_id)},
        )
    return None


def employed_recently(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    cutoff = _years_before(today, EMPLOYMENT_LOOKBACK_YEARS)
    for organisation_id, ended_on in e.former_employers:
        # An undated end counts as recent: the expert must give the date to be cleared.
        if organisation_id in a.parties and (ended_on is None or ended_on >= cutoff):
            when = ended_on.isoformat() if ended_on else _("date not given")
            return Exclusion(
                2,
                "employed_recently",
                _("Worked for %(org)s until %(when)s, within the last 3 years.")
                % {"org": a.name_of(organisation_id), "when": when},
            )
    return None


def controls_a_party(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    for organisation_id, kind in e.control_roles:
        if kind in CONTROL_KINDS and organisation_id in a.parties:
            return Exclusion(
                3,
                "controls_a_party",
                _("Is %(role)s of %(org)s.")
                % {"role": R(kind).label, "org": a.name_of(organisation_id)},
            )
    return None


def kin_of_applicant(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    for organisation_id, person in e.kin:
        if organisation_id != a.organisation_id:
            continue
        for role, name in ((_("legal representative"), a.legal_representative),
                           (_("project lead"), a.project_lead)):  # fmt: skip
            if _same_person(person, name):
                return Exclusion(
                    4,
                    "kin_of_applicant",
                    _("Is a relative of %(name)s, the applicant's %(role)s.")
                    % {"name": name, "role": role},
                )
    return None


def avoidance_accepted(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    if e.expert_id in a.avoided_expert_ids:
        return Exclusion(
            5, "avoidance_request", _("Named in the applicant's accepted avoidance request.")
        )
    return None


def supervises_the_call(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    if (a.office_id is not None and a.office_id in e.office_ids) or (
        e.department_ids & a.department_ids
    ):
        return Exclusion(
            6, "supervises_the_call", _("Works for an office or department supervising the call.")
        )
    return None


def competitor(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    employer = e.employer_id
    if employer is not None and employer in a.call_party_ids and employer not in a.parties:
        return Exclusion(
            7,
            "competitor",
            _("Works for %(org)s, a party to another application to the same call.")
            % {"org": a.name_of(e.employer_id)},
        )
    return None


def declared_conflict(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> Exclusion | None:
    if a.application_id in e.declared_conflicts:
        return Exclusion(8, "declared_conflict", _("Declared a conflict of interest."))
    return None


Rule = Callable[[ExpertFacts, ApplicationFacts, dt.date], Exclusion | None]
RULES: tuple[Rule, ...] = (
    employed_now,
    employed_recently,
    controls_a_party,
    kin_of_applicant,
    avoidance_accepted,
    supervises_the_call,
    competitor,
    declared_conflict,
)


def exclusions(e: ExpertFacts, a: ApplicationFacts, today: dt.date) -> list[Exclusion]:
    """Every rule that excludes this expert from this application, in rule order."""
    return [found for rule in RULES if (found := rule(e, a, today)) is not None]


def excluded_pairs(
    experts: list[ExpertFacts], applications: list[ApplicationFacts], today: dt.date
) -> dict[int, dict[int, list[Exclusion]]]:
    """application id -> expert id -> exclusions, for a whole pool and call.

    Every rule needs a shared organisation, office, department or id between the two sides, so
    an index on those finds the few candidate pairs; the rules themselves then decide, and stay
    the single source of truth. 5,000 experts × 2,000 applications stay fast this way.
    """
    by_org: dict[int, set[int]] = {}
    by_office: dict[int, set[int]] = {}
    by_department: dict[int, set[int]] = {}
    by_declared: dict[int, set[int]] = {}
    for e in experts:
        orgs = {e.employer_id} if e.employer_id is not None else set()
        orgs |= {o for o, _ in e.former_employers} | {o for o, _ in e.control_roles}
        orgs |= {o for o, _ in e.kin}
        for o in orgs:
            by_org.setdefault(o, set()).add(e.expert_id)
        for o in e.office_ids:
            by_office.setdefault(o, set()).add(e.expert_id)
        for d in e.department_ids:
            by_department.setdefault(d, set()).add(e.expert_id)
        for app_id in e.declared_conflicts:
            by_declared.setdefault(app_id, set()).add(e.expert_id)
    facts = {e.expert_id: e for e in experts}
    found: dict[int, dict[int, list[Exclusion]]] = {}
    # Experts tied to any party of the call: computed once per distinct party set, not once
    # per application (thousands of applications share one).
    party_experts: dict[int, set[int]] = {}
    for a in applications:
        key = id(a.call_party_ids)
        if key not in party_experts:
            party_experts[key] = set().union(*(by_org.get(o, set()) for o in a.call_party_ids))
        candidates: set[int] = set(a.avoided_expert_ids) | by_declared.get(a.application_id, set())
        candidates |= party_experts[key]
        for o in a.parties:
            candidates |= by_org.get(o, set())
        if a.office_id is not None:
            candidates |= by_office.get(a.office_id, set())
        for d in a.department_ids:
            candidates |= by_department.get(d, set())
        for expert_id in candidates:
            if expert_id in facts and (hits := exclusions(facts[expert_id], a, today)):
                found.setdefault(a.application_id, {})[expert_id] = hits
    return found
