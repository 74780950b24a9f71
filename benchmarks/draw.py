"""Draw figures: recusal and assignment of 2,000 applications × 5 experts from 5,000 experts.

Usage: .venv/bin/python benchmarks/draw.py
Prints one `name value unit` line per figure. Pure functions only (the same ones the service
runs); the database part of a draw is a handful of bulk queries.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django

django.setup()

from workflow.rules import draw as d  # noqa: E402
from workflow.rules import recusal as r  # noqa: E402

APPLICATIONS, EXPERTS, K, LOAD_CAP = 2000, 5000, 5, 3
ORGANISATIONS = 3000
CONFLICT_RATE = 0.02
SEED = "a1" * 32


def synthetic(rng: random.Random):
    """Experts employed by 800 outside organisations; applicants and partners among 3,000;
    about 2% of (application, expert) pairs excluded by declared conflicts and avoidance."""
    experts = [
        r.ExpertFacts(expert_id=i, employer_id=ORGANISATIONS + rng.randrange(800))
        for i in range(1, EXPERTS + 1)
    ]
    per_app = int(EXPERTS * CONFLICT_RATE)
    apps = []
    for a in range(1, APPLICATIONS + 1):
        apps.append(
            r.ApplicationFacts(
                application_id=a,
                organisation_id=rng.randrange(ORGANISATIONS),
                avoided_expert_ids=frozenset(rng.sample(range(1, EXPERTS + 1), per_app)),
            )
        )
    pool = [d.PoolExpert(e.expert_id, f"org:{e.employer_id}", f"r{rng.randrange(11)}")
            for e in experts]  # fmt: skip
    return experts, apps, pool


def lines() -> list[str]:
    rng = random.Random(2026)
    experts, apps, pool = synthetic(rng)
    start = time.perf_counter()
    found = r.excluded_pairs(experts, apps, dt.date(2026, 11, 22))
    recusal_s = time.perf_counter() - start
    excluded = {a: set(by) for a, by in found.items()}
    pairs = sum(len(v) for v in excluded.values())
    rules = d.DrawRules(mode=d.PER_APPLICATION, experts_per_application=K, load_cap=LOAD_CAP)
    ids = [a.application_id for a in apps]

    start = time.perf_counter()
    result = d.assign_per_application(SEED, pool, rules, ids, excluded)
    assign_s = time.perf_counter() - start
    load = Counter(e for _app, members in result["assignments"] for e in members)
    assert all(not set(m) & excluded.get(a, set()) for a, m in result["assignments"])
    assert all(len(m) == K for _a, m in result["assignments"])

    start = time.perf_counter()
    greedy = d.greedy_assign(SEED, pool, rules, ids, excluded)
    greedy_s = time.perf_counter() - start

    start = time.perf_counter()
    panel = d.draw_panel(SEED, pool, d.DrawRules(mode=d.PANEL, panel_size=7), excluded=[])
    panel_s = time.perf_counter() - start
    assert len(panel["members"]) == 7

    greedy_load = greedy["max_load"]
    return [
        f"draw_excluded_pairs {pairs} pairs",
        f"draw_excluded_share {pairs / (APPLICATIONS * EXPERTS):.4f} ratio",
        f"draw_recusal_seconds {recusal_s:.3f} s",
        f"draw_assign_seconds {assign_s:.3f} s",
        f"draw_total_seconds {recusal_s + assign_s:.3f} s",
        f"draw_max_load {max(load.values())} applications",
        f"draw_mean_load {sum(load.values()) / len(load):.2f} applications",
        f"draw_experts_used {len(load)} experts",
        f"draw_total_cost {result['cost']} cost",
        f"draw_greedy_cost {greedy['cost']} cost",
        f"draw_greedy_max_load {greedy_load} applications",
        f"draw_greedy_unfilled {greedy['unfilled']} places",
        f"draw_cost_vs_greedy {result['cost'] / greedy['cost']:.4f} ratio",
        f"draw_greedy_seconds {greedy_s:.3f} s",
        f"draw_panel_seconds {panel_s:.4f} s",
    ]


if __name__ == "__main__":
    print("\n".join(lines()))
