"""专家抽取: the draw as a deterministic function of (seed, pool snapshot, rules).

Nothing here reads the database or a clock; `manage.py draw_verify` re-runs these functions
from the recorded inputs. Randomness comes only from HMAC-SHA256(seed, ...) "lottery keys", so
anyone with the revealed seed can recompute every key with any SHA-256 tool.

- Panel mode (会议评审): experts in lottery-key order; the panel is the first one in that order
  that fits the rules (compared member by member), the others follow as the ordered alternates
  (招标投标法 第三十七条: five or more, odd). Taking each expert who fits, greedily, finds that
  panel unless two caps interact (an early pick can block a later one by employer and fill a
  region); then a depth-first search in the same order finds it, so the office is never told
  "impossible" while a compliant panel exists.
- Correspondence mode (通讯评审): each application gets k experts; recusal is a hard
  constraint, each expert reviews at most `load_cap` applications, loads are spread as evenly
  as possible, and among the assignments that do all this the one with the least total lottery
  cost is chosen by a min-cost flow (OR-Tools). Random costs make the result random; the
  optimiser makes it fair and proves feasibility or explains why there is none.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

PANEL = "panel"
PER_APPLICATION = "per_application"
COST_BITS = 30  # keeps the sum of 10,000 costs far inside 64 bits
LOAD_STEP = 1 << COST_BITS  # larger than any lottery cost


@dataclass(frozen=True)
class PoolExpert:
    id: int
    employer: str  # a key: "org:<id>" or "name:<declared employer>"; "" when unknown
    region: str
    sectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrawRules:
    mode: str
    panel_size: int = 5
    experts_per_application: int = 3
    load_cap: int = 3
    required_sectors: tuple[str, ...] = ()
    cap_per_employer: int | None = None
    cap_per_region: int | None = None
    alternates: int = 2


class DrawImpossible(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def lottery_key(seed: str, *parts: object) -> int:
    message = "|".join(str(p) for p in parts).encode()
    digest = hmac.new(seed.encode(), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def rule_problems(rules: DrawRules) -> list[str]:
    """Rules that the law or common sense refuse, with a message for the office."""
    problems = []
    if rules.mode == PANEL and (rules.panel_size < 5 or rules.panel_size % 2 == 0):
        problems.append(_("A review panel has five or more members, an odd number."))
    if rules.mode == PER_APPLICATION and rules.experts_per_application < 3:
        problems.append(_("Correspondence review needs at least 3 experts per application."))
    if rules.mode not in (PANEL, PER_APPLICATION):
        problems.append(_("Unknown draw mode."))
    if rules.load_cap < 1:
        problems.append(_("Each expert must be able to take at least one application."))
    if rules.alternates > 10:
        problems.append(_("At most 10 alternates."))
    for cap in (rules.cap_per_employer, rules.cap_per_region):
        if cap is not None and cap < 1:
            problems.append(_("A cap must be at least 1."))
    return problems


def _in_sector(expert: PoolExpert, rules: DrawRules) -> bool:
    return not rules.required_sectors or bool(set(expert.sectors) & set(rules.required_sectors))


def _fits(expert: PoolExpert, chosen: Iterable[PoolExpert], rules: DrawRules) -> bool:
    chosen = list(chosen)
    same_employer = sum(bool(expert.employer) and c.employer == expert.employer for c in chosen)
    same_region = sum(c.region == expert.region for c in chosen)
    return not (
        (rules.cap_per_employer is not None and same_employer >= rules.cap_per_employer)
        or (rules.cap_per_region is not None and same_region >= rules.cap_per_region)
    )


def draw_panel(
    seed: str, pool: list[PoolExpert], rules: DrawRules, excluded: Iterable[int]
) -> dict:
    """The panel and its ordered alternates. `excluded`: experts recused from any application."""
    barred = set(excluded)
    candidates = [e for e in pool if e.id not in barred and _in_sector(e, rules)]
    order = sorted(candidates, key=lambda e: (lottery_key(seed, "panel", e.id), e.id))
    members: list[PoolExpert] = []
    for expert in order:
        if len(members) < rules.panel_size and _fits(expert, members, rules):
            members.append(expert)
    greedy = len(members)
    if greedy < rules.panel_size:
        members = _first_fitting_panel(order, rules) or members
    if len(members) < rules.panel_size:
        raise DrawImpossible(
            [
                _(
                    "Only %(found)d of the %(needed)d panel members can be drawn: %(eligible)d "
                    "experts are in the required sectors and free of conflicts, and the caps "
                    "per employer or region leave %(found)d."
                )
                % {
                    "found": greedy,
                    "needed": rules.panel_size,
                    "eligible": len(candidates),
                }
            ]
        )
    chosen = {e.id for e in members}
    rest = [e for e in order if e.id not in chosen]
    return {
        "members": [e.id for e in members],
        "alternates": [e.id for e in rest[: rules.alternates]],
    }


# Nodes the panel search may visit. Real pools (hundreds of experts, panels of 5 to 9, caps of
# 1 to 3) need a few hundred; the budget only bounds a pathological pool, which is then reported
# as impossible, as the greedy draw would have.
SEARCH_BUDGET = 200_000


def _first_fitting_panel(order: list[PoolExpert], rules: DrawRules) -> list[PoolExpert] | None:
    """The first panel in lottery order that fits the caps, by depth-first search."""
    size = rules.panel_size
    members: list[PoolExpert] = []
    budget = SEARCH_BUDGET

    def extend(start: int) -> bool:
        nonlocal budget
        if len(members) == size:
            return True
        for i in range(start, len(order) - (size - len(members)) + 1):
            budget -= 1
            if budget < 0:
                return False
            if _fits(order[i], members, rules):
                members.append(order[i])
                if extend(i + 1):
                    return True
                members.pop()
        return False

    return list(members) if extend(0) else None


def _cost(seed: str, application_id: int, expert_id: int) -> int:
    return lottery_key(seed, "assign", application_id, expert_id) >> (64 - COST_BITS)


def _candidates(
    seed: str, in_sector: list[PoolExpert], app: int, barred: set[int], want: int
) -> list[PoolExpert]:
    """`want` eligible experts for one application drawn by lottery key, cheapest first.

    Sampling by HMAC counter keeps the work per application near `want` instead of the pool
    size; when `want` covers the eligible pool, it is the whole eligible pool.
    """
    eligible_count = len(in_sector) - sum(1 for e in in_sector if e.id in barred)
    if want >= eligible_count:
        picked = [e for e in in_sector if e.id not in barred]
    else:
        chosen: dict[int, PoolExpert] = {}
        n, j = len(in_sector), 0
        while len(chosen) < want:
            e = in_sector[lottery_key(seed, "candidate", app, j) % n]
            if e.id not in barred:
                chosen.setdefault(e.id, e)
            j += 1
        picked = list(chosen.values())
    picked.sort(key=lambda e: (_cost(seed, app, e.id), e.id))
    return picked


def _diagnose(
    in_sector: list[PoolExpert],
    excluded: Mapping[int, set[int]],
    application_ids: list[int],
    rules: DrawRules,
) -> list[str]:
    k = rules.experts_per_application
    ids = {e.id for e in in_sector}
    reasons = []
    for app in application_ids:
        n = len(ids - excluded.get(app, set()))
        if n < k:
            reasons.append(
                _("Application %(app)s has only %(n)d eligible experts; %(k)d are needed.")
                % {"app": app, "n": n, "k": k}
            )
    needed = k * len(application_ids)
    if len(in_sector) * rules.load_cap < needed:
        reasons.append(
            _(
                "The pool can take %(cap)d reviews (%(n)d experts × %(load)d) but %(needed)d are "
                "needed: raise the load cap or widen the pool."
            )
            % {
                "cap": len(in_sector) * rules.load_cap,
                "n": len(in_sector),
                "load": rules.load_cap,
                "needed": needed,
            }
        )
    if not reasons:
        reasons.append(
            _(
                "The recusal rules, the load cap and the employer cap cannot all be met at once; "
                "raise the load cap or widen the pool."
            )
        )
    return reasons


def _solve_flow(
    candidates: dict[int, list[PoolExpert]], seed: str, rules: DrawRules
) -> dict[int, list[int]] | None:
    import numpy as np
    from ortools.graph.python import min_cost_flow

    k = rules.experts_per_application
    nodes: dict[object, int] = {"source": 0, "sink": 1}

    def node(key: object) -> int:
        return nodes.setdefault(key, len(nodes))

    tails, heads, caps, costs = [], [], [], []
    expert_arcs: list[tuple[int, int, int]] = []  # (arc index, application, expert)

    def arc(tail: int, head: int, capacity: int, cost: int = 0) -> int:
        tails.append(tail)
        heads.append(head)
        caps.append(capacity)
        costs.append(cost)
        return len(tails) - 1

    experts_seen: set[int] = set()
    for app, experts in candidates.items():
        app_node = node(("app", app))
        arc(0, app_node, k)
        for e in experts:
            via = app_node
            if rules.cap_per_employer is not None and e.employer:
                group = ("employer", app, e.employer)
                if group not in nodes:
                    arc(app_node, node(group), rules.cap_per_employer)
                via = nodes[group]
            index = arc(via, node(("expert", e.id)), 1, _cost(seed, app, e.id))
            expert_arcs.append((index, app, e.id))
            experts_seen.add(e.id)
    # Convex load costs: an expert's second review costs one LOAD_STEP more than the first,
    # the third two more. A step outweighs any lottery cost, so the optimiser spreads the work
    # as evenly as the candidate lists allow before it looks at the lottery.
    for expert_id in sorted(experts_seen):
        for extra in range(rules.load_cap):
            arc(node(("expert", expert_id)), 1, 1, extra * LOAD_STEP)

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.array(caps, dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    demand = k * len(candidates)
    flow.set_node_supply(0, demand)
    flow.set_node_supply(1, -demand)
    if flow.solve() != flow.OPTIMAL:
        return None
    chosen: dict[int, list[int]] = {app: [] for app in candidates}
    for index, app, expert_id in expert_arcs:
        if flow.flow(index):
            chosen[app].append(expert_id)
    return chosen


def assign_per_application(
    seed: str,
    pool: list[PoolExpert],
    rules: DrawRules,
    application_ids: list[int],
    excluded: Mapping[int, Iterable[int]],
) -> dict:
    """k experts per application with recusal and load cap; ordered alternates per application.

    Each application first gets a random candidate list (8k, at least 40); the flow picks the
    cheapest feasible assignment among them. Only when that is infeasible does the list widen,
    up to every eligible expert; then infeasibility is real and explained.
    """
    k = rules.experts_per_application
    application_ids = sorted(application_ids)
    in_sector = sorted((e for e in pool if _in_sector(e, rules)), key=lambda e: e.id)
    barred = {app: set(excluded.get(app, ())) for app in application_ids}
    width = max(8 * k, 40)
    while True:
        candidates = {
            app: _candidates(seed, in_sector, app, barred[app], width) for app in application_ids
        }
        chosen = None
        if all(len(c) >= k for c in candidates.values()):
            chosen = _solve_flow(candidates, seed, rules)
        if chosen is not None:
            break
        if width >= len(in_sector):
            raise DrawImpossible(_diagnose(in_sector, barred, application_ids, rules))
        width *= 4
    assignments, alternates, total = [], [], 0
    for app in application_ids:
        members = sorted(chosen[app], key=lambda e, a=app: (_cost(seed, a, e), e))
        total += sum(_cost(seed, app, e) for e in members)
        spare = [e.id for e in candidates[app] if e.id not in set(members)]
        assignments.append([app, members])
        alternates.append([app, spare[: rules.alternates]])
    return {"assignments": assignments, "alternates": alternates, "cost": total}


def greedy_assign(
    seed: str,
    pool: list[PoolExpert],
    rules: DrawRules,
    application_ids: list[int],
    excluded: Mapping[int, Iterable[int]],
) -> dict:
    """Baseline for the benchmark: applications in order, each takes its cheapest free experts
    from the same candidate lists the optimiser starts with."""
    k = rules.experts_per_application
    in_sector = sorted((e for e in pool if _in_sector(e, rules)), key=lambda e: e.id)
    width = max(8 * k, 40)
    load: Counter[int] = Counter()
    total, short = 0, 0
    for app in sorted(application_ids):
        taken: list[PoolExpert] = []
        for e in _candidates(seed, in_sector, app, set(excluded.get(app, ())), width):
            if len(taken) == k:
                break
            if load[e.id] < rules.load_cap and (
                rules.cap_per_employer is None
                or sum(t.employer == e.employer for t in taken) < rules.cap_per_employer
            ):
                taken.append(e)
                load[e.id] += 1
                total += _cost(seed, app, e.id)
        short += k - len(taken)
    return {"cost": total, "unfilled": short, "max_load": max(load.values(), default=0)}


def run(seed: str, inputs: dict) -> dict:
    """The draw from its recorded inputs: what the service stores and draw_verify recomputes."""
    recorded = inputs["rules"]
    rules = DrawRules(**{**recorded, "required_sectors": tuple(recorded["required_sectors"])})
    pool = [PoolExpert(e[0], e[1], e[2], tuple(e[3])) for e in inputs["pool"]]
    excluded = {int(app): experts for app, experts in inputs["excluded"].items()}
    if rules.mode == PANEL:
        barred = {e for experts in excluded.values() for e in experts}
        return draw_panel(seed, pool, rules, barred)
    return assign_per_application(seed, pool, rules, inputs["applications"], excluded)


def first_difference(expected: dict, actual: dict) -> str | None:
    """A readable first difference between two results, or None when they match."""
    for key in sorted(set(expected) | set(actual)):
        if expected.get(key) != actual.get(key):
            a, b = expected.get(key), actual.get(key)
            if isinstance(a, list) and isinstance(b, list):
                for i, (x, y) in enumerate(zip(a, b, strict=False)):
                    if x != y:
                        return f"{key}[{i}]: recorded {x!r}, recomputed {y!r}"
                return f"{key}: recorded {len(a)} items, recomputed {len(b)}"
            return f"{key}: recorded {a!r}, recomputed {b!r}"
    return None
