"""Properties of the expert draw (workflow/rules/draw.py), with hypothesis.

The module promises a deterministic function of (seed, pool snapshot, rules): randomness only
from HMAC-SHA256 lottery keys, recusal (回避) as a hard constraint, the panel drawn in lottery-key
order (招标投标法 第三十七条, 实施条例 第四十六条), correspondence review with a load cap solved by
OR-Tools, and `run()` recomputing the stored result from the recorded JSON inputs (draw_verify).
Example counts stay modest where OR-Tools runs. No database.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.workflow.strategies  # noqa: F401  (loads the hypothesis profile)
from workflow.rules import draw as d

SECTORS = ("新能源汽车", "智能制造")
EMPLOYERS = ["", "org:1", "org:2", "org:3", "org:4", "org:5", "name:某公司"]
# mostly in the first sector, which the rules below may require
SECTOR_SETS = [(SECTORS[0],), (SECTORS[0],), SECTORS, (SECTORS[1],), ()]
seeds = st.text(alphabet="0123456789abcdef", min_size=1, max_size=64)


@st.composite
def pools(draw, min_size=3, max_size=30):
    """Experts with unique ids, a few employers (some unknown: ""), regions and sectors."""
    ids = draw(st.lists(st.integers(1, 500), min_size=min_size, max_size=max_size, unique=True))
    return [
        d.PoolExpert(
            id=i,
            employer=draw(st.sampled_from(EMPLOYERS)),
            region=draw(st.sampled_from(["太原", "大同", "晋中"])),
            sectors=draw(st.sampled_from(SECTOR_SETS)),
        )
        for i in ids
    ]


panel_pools = pools(min_size=5, max_size=30) | pools(min_size=12, max_size=30)


@st.composite
def panel_rules(draw, caps=True):
    return d.DrawRules(
        mode=d.PANEL,
        panel_size=draw(st.sampled_from([5, 7])),
        required_sectors=draw(st.sampled_from([(), (SECTORS[0],), SECTORS])),
        cap_per_employer=draw(st.none() | st.integers(1, 3)) if caps else None,
        cap_per_region=draw(st.none() | st.integers(2, 4)) if caps else None,
        alternates=draw(st.integers(0, 4)),
    )


def eligible(expert: d.PoolExpert, rules: d.DrawRules, barred) -> bool:
    in_sector = not rules.required_sectors or set(expert.sectors) & set(rules.required_sectors)
    return expert.id not in barred and bool(in_sector)


def draw_or_none(seed, pool, rules, excluded):
    try:
        return d.draw_panel(seed, pool, rules, excluded)
    except d.DrawImpossible as exc:
        assert exc.reasons and all(str(r) for r in exc.reasons)
        return None


# Lottery keys ------------------------------------------------------------------------------------


@given(seed=seeds, expert=st.integers(1, 10**6))
def test_a_lottery_key_can_be_recomputed_with_any_sha256_tool(seed, expert):
    """The published recipe: the first 8 bytes of HMAC-SHA256(seed, "panel|<id>"), big-endian."""
    digest = hmac.new(seed.encode(), f"panel|{expert}".encode(), hashlib.sha256).hexdigest()
    assert d.lottery_key(seed, "panel", expert) == int(digest[:16], 16)


# Panel mode (会议评审) ---------------------------------------------------------------------


@given(seed=seeds, pool=panel_pools, rules=panel_rules(), data=st.data())
def test_a_panel_never_breaks_a_rule(seed, pool, rules, data):
    barred = set(data.draw(st.lists(st.sampled_from([e.id for e in pool] or [0]), max_size=8)))
    result = draw_or_none(seed, pool, rules, barred)
    if result is None:
        return
    by_id = {e.id: e for e in pool}
    members, alternates = result["members"], result["alternates"]
    assert len(members) == rules.panel_size == len(set(members))
    assert len(alternates) == len(set(alternates)) <= rules.alternates
    assert not set(members) & set(alternates)
    for expert_id in members + alternates:
        assert eligible(by_id[expert_id], rules, barred)  # no recused expert, ever
    chosen = [by_id[i] for i in members]
    if rules.cap_per_employer is not None:
        known = Counter(e.employer for e in chosen if e.employer)
        assert max(known.values(), default=0) <= rules.cap_per_employer
    if rules.cap_per_region is not None:
        assert max(Counter(e.region for e in chosen).values()) <= rules.cap_per_region


@given(seed=seeds, pool=panel_pools, rules=panel_rules(), data=st.data())
def test_a_panel_is_reproducible_whatever_the_order_of_the_pool(seed, pool, rules, data):
    barred = data.draw(st.lists(st.sampled_from([e.id for e in pool] or [0]), max_size=8))
    shuffled = data.draw(st.permutations(pool))
    first = draw_or_none(seed, pool, rules, barred)
    assert draw_or_none(seed, pool, rules, barred) == first
    assert draw_or_none(seed, list(shuffled), rules, list(reversed(barred))) == first


@given(seed=seeds, pool=panel_pools, rules=panel_rules(), data=st.data())
def test_a_recused_expert_is_as_if_absent_from_the_pool(seed, pool, rules, data):
    """Recusal only removes the expert: nobody else's chance moves."""
    barred = set(data.draw(st.lists(st.sampled_from([e.id for e in pool] or [0]), max_size=8)))
    rest = [e for e in pool if e.id not in barred]
    assert draw_or_none(seed, pool, rules, barred) == draw_or_none(seed, rest, rules, ())


@given(seed=seeds, pool=panel_pools, rules=panel_rules(caps=False))
def test_without_caps_the_panel_is_the_lowest_lottery_keys(seed, pool, rules):
    """Experts in lottery-key order: the first panel_size eligible ones sit, the next are the
    ordered alternates; too few eligible experts is a clear failure."""
    ordered = sorted(
        (e.id for e in pool if eligible(e, rules, ())),
        key=lambda i: (d.lottery_key(seed, "panel", i), i),
    )
    result = draw_or_none(seed, pool, rules, ())
    if len(ordered) < rules.panel_size:
        assert result is None
        return
    assert result == {
        "members": ordered[: rules.panel_size],
        "alternates": ordered[rules.panel_size : rules.panel_size + rules.alternates],
    }


@given(
    seed=seeds,
    pool=panel_pools,
    rules=panel_rules(),
    cap_on=st.sampled_from(["employer", "region"]),
)
def test_with_one_cap_a_panel_is_drawn_whenever_one_exists(seed, pool, rules, cap_on):
    """With a cap on one attribute only, a panel exists iff summing min(count, cap) over that
    attribute's values reaches the panel size; the draw then never reports it impossible."""
    if cap_on == "employer":
        rules = d.DrawRules(**{**rules.__dict__, "cap_per_region": None})
        cap = rules.cap_per_employer
    else:
        rules = d.DrawRules(**{**rules.__dict__, "cap_per_employer": None})
        cap = rules.cap_per_region
    candidates = [e for e in pool if eligible(e, rules, ())]
    if cap is None:
        room = len(candidates)
    elif cap_on == "employer":
        unknown = sum(not e.employer for e in candidates)  # an unknown employer is never capped
        counts = Counter(e.employer for e in candidates if e.employer)
        room = unknown + sum(min(n, cap) for n in counts.values())
    else:
        room = sum(min(n, cap) for n in Counter(e.region for e in candidates).values())
    result = draw_or_none(seed, pool, rules, ())
    assert (result is not None) == (room >= rules.panel_size)


# Correspondence mode (通讯评审, OR-Tools) ---------------------------------------------------

# 40 examples with the default profile; two thirds of the profile's count for a longer hunt.
SLOW = settings(max_examples=max(40, settings.default.max_examples * 2 // 3), deadline=None)


@st.composite
def assignment_cases(draw, recusal=True, employer_cap=True):
    pool = draw(pools(min_size=3, max_size=14))
    applications = draw(st.lists(st.integers(1, 900), min_size=1, max_size=6, unique=True))
    rules = d.DrawRules(
        mode=d.PER_APPLICATION,
        experts_per_application=3,
        load_cap=draw(st.integers(1, 4)),
        required_sectors=draw(st.sampled_from([(), (SECTORS[0],)])),
        cap_per_employer=draw(st.none() | st.integers(1, 2)) if employer_cap else None,
        alternates=draw(st.integers(0, 3)),
    )
    ids = [e.id for e in pool]
    excluded = {
        app: sorted(set(draw(st.lists(st.sampled_from(ids), max_size=4)))) if recusal else []
        for app in applications
    }
    return draw(seeds), pool, rules, applications, excluded


def assign_or_none(seed, pool, rules, applications, excluded):
    try:
        return d.assign_per_application(seed, pool, rules, applications, excluded)
    except d.DrawImpossible as exc:
        assert exc.reasons and all(str(r) for r in exc.reasons)
        return None


def feasible(pool, rules, applications, excluded) -> bool:
    """Independent check by a plain max-flow (augmenting paths, no OR-Tools): can every
    application get k distinct eligible experts with nobody above the load cap? (No employer
    cap here.) Source -> application (k) -> expert (1) -> sink (load cap)."""
    k = rules.experts_per_application
    residual: dict[object, dict[object, int]] = {}

    def add(tail, head, capacity):
        residual.setdefault(tail, {})[head] = capacity
        residual.setdefault(head, {}).setdefault(tail, 0)

    for app in applications:
        add("source", ("app", app), k)
        for e in pool:
            if eligible(e, rules, set(excluded[app])):
                add(("app", app), ("expert", e.id), 1)
    for e in pool:
        add(("expert", e.id), "sink", rules.load_cap)

    def augment(node, seen) -> bool:
        if node == "sink":
            return True
        seen.add(node)
        for head, capacity in residual.get(node, {}).items():
            if capacity > 0 and head not in seen and augment(head, seen):
                residual[node][head] -= 1
                residual[head][node] += 1
                return True
        return False

    flow = 0
    while augment("source", set()):
        flow += 1
    return flow == k * len(applications)


@SLOW
@given(case=assignment_cases())
def test_an_assignment_respects_recusal_the_load_cap_and_the_employer_cap(case):
    seed, pool, rules, applications, excluded = case
    result = assign_or_none(seed, pool, rules, applications, excluded)
    if result is None:
        return
    by_id = {e.id: e for e in pool}
    assert [app for app, _ in result["assignments"]] == sorted(applications)
    load: Counter[int] = Counter()
    spares = dict((app, spare) for app, spare in result["alternates"])
    for app, members in result["assignments"]:
        assert len(members) == len(set(members)) == rules.experts_per_application
        for expert_id in members + spares[app]:
            assert eligible(by_id[expert_id], rules, set(excluded[app]))  # 回避 is never broken
        assert not set(members) & set(spares[app])
        assert len(spares[app]) <= rules.alternates
        if rules.cap_per_employer is not None:
            known = Counter(by_id[i].employer for i in members if by_id[i].employer)
            assert max(known.values(), default=0) <= rules.cap_per_employer
        load.update(members)
    assert max(load.values()) <= rules.load_cap


@SLOW
@given(case=assignment_cases(), data=st.data())
def test_an_assignment_is_reproducible_whatever_the_order_of_its_inputs(case, data):
    seed, pool, rules, applications, excluded = case
    first = assign_or_none(seed, pool, rules, applications, excluded)
    again = assign_or_none(
        seed,
        list(data.draw(st.permutations(pool))),
        rules,
        list(data.draw(st.permutations(applications))),
        {app: list(reversed(experts)) for app, experts in reversed(excluded.items())},
    )
    assert again == first


@st.composite
def large_cases(draw):
    """Pools larger than one candidate list (40), so each application's candidates are sampled
    by lottery key before the optimiser runs; the pool itself comes from a generated seed."""
    rng = random.Random(draw(st.integers(0, 10**6)))
    size = draw(st.integers(41, 120))
    pool = [
        d.PoolExpert(
            i, rng.choice(EMPLOYERS), rng.choice(["太原", "大同"]), rng.choice(SECTOR_SETS)
        )
        for i in rng.sample(range(1, 1000), size)
    ]
    applications = rng.sample(range(1, 500), draw(st.integers(1, 25)))
    ids = [e.id for e in pool]
    excluded = {app: rng.sample(ids, draw(st.integers(0, 30))) for app in applications}
    rules = d.DrawRules(
        mode=d.PER_APPLICATION,
        experts_per_application=draw(st.integers(3, 5)),
        load_cap=draw(st.integers(1, 4)),
        required_sectors=draw(st.sampled_from([(), (SECTORS[0],)])),
        cap_per_employer=draw(st.none() | st.integers(1, 2)),
    )
    return draw(seeds), pool, rules, applications, excluded


@settings(max_examples=max(15, settings.default.max_examples // 4), deadline=None)
@given(case=large_cases())
def test_a_large_pool_assignment_is_valid_and_reproducible(case):
    seed, pool, rules, applications, excluded = case
    result = assign_or_none(seed, pool, rules, applications, excluded)
    assert assign_or_none(seed, list(reversed(pool)), rules, applications, excluded) == result
    if result is None:
        return
    by_id = {e.id: e for e in pool}
    load: Counter[int] = Counter()
    for app, members in result["assignments"]:
        assert len(set(members)) == rules.experts_per_application
        assert all(eligible(by_id[i], rules, set(excluded[app])) for i in members)
        if rules.cap_per_employer is not None:
            known = Counter(by_id[i].employer for i in members if by_id[i].employer)
            assert max(known.values(), default=0) <= rules.cap_per_employer
        load.update(members)
    assert max(load.values()) <= rules.load_cap


@SLOW
@given(case=assignment_cases(employer_cap=False))
def test_an_assignment_fails_only_when_none_exists(case):
    """Infeasibility is real and explained: the optimiser fails exactly when no assignment
    meets recusal and the load cap (checked here by augmenting paths, pool within one
    candidate list)."""
    seed, pool, rules, applications, excluded = case
    result = assign_or_none(seed, pool, rules, applications, excluded)
    assert (result is not None) == feasible(pool, rules, applications, excluded)


@SLOW
@given(case=assignment_cases(recusal=False, employer_cap=False))
def test_without_recusal_the_loads_are_spread_evenly(case):
    """Loads are spread "as evenly as possible": with every expert free to review every
    application, no two experts' loads differ by more than one."""
    seed, pool, rules, applications, excluded = case
    result = assign_or_none(seed, pool, rules, applications, excluded)
    if result is None:
        return
    in_sector = [e.id for e in pool if eligible(e, rules, ())]
    load = Counter({i: 0 for i in in_sector})
    for _, members in result["assignments"]:
        load.update(members)
    assert max(load.values()) - min(load.values()) <= 1


# run(): what draw_verify recomputes from the stored JSON -------------------------------------


def recorded_inputs(pool, rules, applications, excluded):
    return {
        "rules": {**rules.__dict__, "required_sectors": list(rules.required_sectors)},
        "pool": [[e.id, e.employer, e.region, list(e.sectors)] for e in pool],
        "excluded": {app: list(experts) for app, experts in excluded.items()},
        "applications": list(applications),
    }


def run_or_none(seed, inputs):
    try:
        return d.run(seed, inputs)
    except d.DrawImpossible:
        return None


@SLOW
@given(case=assignment_cases(), panel=st.booleans(), size=st.sampled_from([5, 7]))
def test_run_gives_the_same_result_from_the_stored_json(case, panel, size):
    """The inputs and the result are stored as JSON (keys become strings); re-running from the
    stored copy gives the stored result exactly, in both modes."""
    seed, pool, rules, applications, excluded = case
    if panel:
        rules = d.DrawRules(**{**rules.__dict__, "mode": d.PANEL, "panel_size": size})
    inputs = recorded_inputs(pool, rules, applications, excluded)
    result = run_or_none(seed, inputs)
    stored_inputs = json.loads(json.dumps(inputs))
    assert run_or_none(seed, stored_inputs) == result
    if result is not None:
        assert json.loads(json.dumps(result)) == result
        assert d.first_difference(json.loads(json.dumps(result)), result) is None
    if panel:
        barred = {e for experts in excluded.values() for e in experts}
        assert result == draw_or_none(seed, pool, rules, barred)


@given(seed=seeds, other=seeds, pool=pools(min_size=12, max_size=30))
def test_every_seed_gives_a_valid_panel(seed, other, pool):
    """Different seeds give valid (not necessarily different) panels from the same pool."""
    rules = d.DrawRules(mode=d.PANEL, panel_size=5, alternates=2)
    for s in (seed, other):
        result = d.draw_panel(s, pool, rules, ())
        assert len(set(result["members"])) == 5
        assert set(result["members"]) <= {e.id for e in pool}


@pytest.mark.parametrize("mode", [d.PANEL, d.PER_APPLICATION])
def test_the_recorded_rules_survive_the_json_round_trip(mode):
    rules = d.DrawRules(mode=mode, required_sectors=SECTORS, cap_per_employer=2)
    inputs = json.loads(json.dumps(recorded_inputs([], rules, [1], {1: []})))
    recorded = inputs["rules"]
    assert d.DrawRules(**{**recorded, "required_sectors": tuple(recorded["required_sectors"])}) == (
        rules
    )


def test_with_both_caps_a_panel_is_drawn_whenever_one_exists():
    """Found by hypothesis: the greedy lottery-order draw took 2 early, which blocked 6 by
    employer and filled 太原, and reported "impossible" although {1,3,4,5,6} was compliant."""
    pool = [
        d.PoolExpert(1, "", "太原"),
        d.PoolExpert(3, "", "太原"),
        d.PoolExpert(4, "", "太原"),
        d.PoolExpert(5, "", "大同"),
        d.PoolExpert(6, "org:1", "大同"),
        d.PoolExpert(2, "org:1", "太原"),
    ]
    rules = d.DrawRules(mode=d.PANEL, panel_size=5, cap_per_employer=1, cap_per_region=3)
    compliant = [e for e in pool if e.id != 2]  # one org:1 expert, three from 太原
    assert max(Counter(e.region for e in compliant).values()) <= rules.cap_per_region
    assert Counter(e.employer for e in compliant if e.employer)["org:1"] == 1
    result = draw_or_none("0", pool, rules, ())
    assert result is not None


def _compliant(panel, rules) -> bool:
    employers = Counter(e.employer for e in panel if e.employer)
    regions = Counter(e.region for e in panel)
    return (
        rules.cap_per_employer is None
        or max(employers.values(), default=0) <= rules.cap_per_employer
    ) and (rules.cap_per_region is None or max(regions.values(), default=0) <= rules.cap_per_region)


@given(seed=seeds, pool=pools(min_size=3, max_size=11), rules=panel_rules())
def test_the_panel_is_the_first_compliant_one_in_lottery_order(seed, pool, rules):
    """Against brute force on small pools, with both caps: a panel is drawn exactly when a
    compliant one exists, and it is the first in lottery order (compared member by member)."""
    candidates = sorted(
        (e for e in pool if eligible(e, rules, ())),
        key=lambda e: (d.lottery_key(seed, "panel", e.id), e.id),
    )
    first = next(
        (
            [e.id for e in combo]
            for combo in itertools.combinations(candidates, rules.panel_size)
            if _compliant(combo, rules)
        ),
        None,
    )
    result = draw_or_none(seed, pool, rules, ())
    assert (result and result["members"]) == first
