"""The draw as a pure function: determinism, rules, caps, recusal, infeasibility. No database."""

import random
from collections import Counter

import pytest
from django.utils import translation

from workflow.rules import draw as d

SEED = "5eed" * 16


def pool(n: int, employers: int = 50, regions: int = 5, sector: str = "新能源汽车"):
    rng = random.Random(n)
    return [
        d.PoolExpert(
            i, f"org:{rng.randrange(employers)}", f"region{rng.randrange(regions)}", (sector,)
        )
        for i in range(1, n + 1)
    ]


PANEL = d.DrawRules(mode=d.PANEL, panel_size=5, alternates=2)


def test_panel_is_deterministic_and_depends_on_the_seed():
    experts = pool(60)
    first = d.draw_panel(SEED, experts, PANEL, excluded=[])
    assert first == d.draw_panel(SEED, list(reversed(experts)), PANEL, excluded=[])
    assert first != d.draw_panel("other" + SEED, experts, PANEL, excluded=[])
    assert len(first["members"]) == 5 and len(first["alternates"]) == 2
    assert not set(first["members"]) & set(first["alternates"])


def test_panel_respects_recusal_sectors_and_caps():
    experts = [*pool(40, employers=3, regions=2), d.PoolExpert(99, "org:x", "region0", ("农业",))]
    rules = d.DrawRules(
        mode=d.PANEL,
        panel_size=5,
        required_sectors=("新能源汽车",),
        cap_per_employer=2,
        cap_per_region=3,
    )
    barred = {e.id for e in experts[:10]}
    result = d.draw_panel(SEED, experts, rules, excluded=barred)
    chosen = [e for e in experts if e.id in result["members"]]
    assert not {e.id for e in chosen} & barred and 99 not in result["members"]
    assert max(Counter(e.employer for e in chosen).values()) <= 2
    assert max(Counter(e.region for e in chosen).values()) <= 3


def test_panel_impossible_is_explained():
    with pytest.raises(d.DrawImpossible) as excinfo:
        d.draw_panel(SEED, pool(4), PANEL, excluded=[])
    assert "5" in excinfo.value.reasons[0]


@pytest.mark.parametrize(
    ("rules", "ok"),
    [
        (d.DrawRules(mode=d.PANEL, panel_size=5), True),
        (d.DrawRules(mode=d.PANEL, panel_size=4), False),
        (d.DrawRules(mode=d.PANEL, panel_size=3), False),
        (d.DrawRules(mode=d.PER_APPLICATION, experts_per_application=3), True),
        (d.DrawRules(mode=d.PER_APPLICATION, experts_per_application=2), False),
        (d.DrawRules(mode=d.PANEL, cap_per_employer=0), False),
    ],
)
def test_rule_problems(rules, ok):
    assert (d.rule_problems(rules) == []) is ok


PER_APP = d.DrawRules(mode=d.PER_APPLICATION, experts_per_application=3, load_cap=2, alternates=2)


def test_assignment_meets_every_hard_constraint():
    experts = pool(200)
    apps = list(range(1000, 1100))
    rng = random.Random(3)
    excluded = {a: set(rng.sample(range(1, 201), 20)) for a in apps}
    result = d.assign_per_application(SEED, experts, PER_APP, apps, excluded)
    load = Counter()
    for app, members in result["assignments"]:
        assert len(members) == 3 == len(set(members))
        assert not set(members) & excluded[app]
        load.update(members)
    assert max(load.values()) <= 2
    for app, spares in result["alternates"]:
        members = dict(result["assignments"])[app]
        assert len(spares) == 2 and not set(spares) & (excluded[app] | set(members))
    assert result == d.assign_per_application(SEED, experts, PER_APP, apps, excluded)


def test_employer_cap_per_application():
    experts = pool(120, employers=4)
    rules = d.DrawRules(
        mode=d.PER_APPLICATION, experts_per_application=3, load_cap=3, cap_per_employer=1
    )
    result = d.assign_per_application(SEED, experts, rules, list(range(1, 31)), {})
    employer = {e.id: e.employer for e in experts}
    for _app, members in result["assignments"]:
        assert len({employer[m] for m in members}) == 3


def test_tight_capacity_widens_to_the_whole_pool_before_giving_up():
    experts = pool(30)  # 30 experts × load 2 = 60 places for 20 × 3 = 60 reviews: exactly full
    result = d.assign_per_application(SEED, experts, PER_APP, list(range(1, 21)), {})
    assert Counter(e for _a, m in result["assignments"] for e in m) == {e.id: 2 for e in experts}


def test_optimiser_beats_or_equals_greedy():
    experts = pool(300)
    apps = list(range(1, 181))
    best = d.assign_per_application(SEED, experts, PER_APP, apps, {})
    greedy = d.greedy_assign(SEED, experts, PER_APP, apps, {})
    assert greedy["unfilled"] > 0 or best["cost"] <= greedy["cost"]


def test_too_few_eligible_experts_for_one_application_is_named():
    excluded = {1: set(range(1, 9))}  # application 1 keeps only experts 9 and 10
    with translation.override("en"), pytest.raises(d.DrawImpossible) as excinfo:
        d.assign_per_application(SEED, pool(10), PER_APP, [1, 2, 3], excluded)
    assert excinfo.value.reasons == ["Application 1 has only 2 eligible experts; 3 are needed."]


def test_too_small_a_pool_is_explained_with_the_capacity():
    with translation.override("en"), pytest.raises(d.DrawImpossible) as excinfo:
        d.assign_per_application(SEED, pool(5), PER_APP, list(range(1, 7)), {})
    assert "The pool can take 10 reviews (5 experts × 2) but 18 are needed" in " ".join(
        excinfo.value.reasons
    )


def test_run_replays_recorded_inputs():
    experts = pool(50)
    inputs = {
        "rules": {**PANEL.__dict__, "required_sectors": []},
        "pool": [[e.id, e.employer, e.region, list(e.sectors)] for e in experts],
        "applications": [7, 8],
        "excluded": {"7": [1, 2], "8": [3]},
    }
    result = d.run(SEED, inputs)
    assert not {1, 2, 3} & set(result["members"])
    assert d.first_difference(result, d.run(SEED, inputs)) is None
    changed = {**inputs, "excluded": {"7": [result["members"][0]]}}
    assert d.first_difference(result, d.run(SEED, changed)) is not None
