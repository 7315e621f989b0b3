"""The knapsack of one node (`placement.solver.knapsack`): the branch and bound finds the best
pattern or a valid bound when cut off, the LP relaxation is the LP's optimum and bounds every
pattern (both checked against brute-force enumeration and HiGHS), and a cut-off search settles for
the LP relaxation when that is tight enough for the caller."""

from __future__ import annotations

import random

import pytest
from builders import make_node_type, patterns_of

from placement.solver.knapsack import best_pattern, lp_knapsack_bound
from placement.solver.packing import PodGroup


def test_a_knapsack_search_cut_off_still_bounds_the_best_pattern() -> None:
    t = make_node_type("std-8", 7.71, 25.4, 0.40, pods=40)
    shapes = [
        PodGroup("a", 0.25, 0.5, 1),
        PodGroup("b", 0.5, 1.0, 1),
        PodGroup("c", 1.0, 4.0, 1),
        PodGroup("d", 2.0, 8.0, 1),
    ]
    values = [0.013, 0.027, 0.06, 0.11]
    exact_value, _, upper = best_pattern(t, shapes, values, [True] * 4, node_cap=10**6)
    assert upper == pytest.approx(exact_value)
    assert exact_value == pytest.approx(
        max(sum(c * v for c, v in zip(p, values, strict=True)) for p in patterns_of(t, shapes))
    )
    cut_value, _, cut_upper = best_pattern(t, shapes, values, [True] * 4, node_cap=3)
    assert cut_value <= exact_value + 1e-12
    assert cut_upper >= exact_value - 1e-12


@pytest.mark.parametrize("seed", range(40))
def test_the_knapsack_lp_relaxation_is_the_lp_optimum_and_bounds_every_pattern(seed: int) -> None:
    from scipy.optimize import linprog

    rng = random.Random(seed)
    n = rng.randint(1, 6)
    cpu = [rng.choice([0.1, 0.25, 0.5, 1.0, 2.0, 3.0]) for _ in range(n)]
    mem = [rng.choice([0.125, 0.5, 1.0, 2.0, 4.0, 8.0]) for _ in range(n)]
    val = [rng.uniform(0.001, 0.2) for _ in range(n)]
    if seed % 5 == 0:  # identical and implied rows (dropped before the vertices are solved)
        cpu, mem, val = cpu + cpu[:1] * 2, mem + mem[:1] * 2, [*val, val[0], val[0] / 2]
    t = make_node_type(
        "t-x", rng.choice([1.9, 3.7, 7.7]), rng.choice([3.5, 7.5, 14.0]), 1.0, pods=rng.choice([4, 8, 29])
    )
    relaxed = lp_knapsack_bound((t.cpu, t.alloc_memory_gib, t.pods), cpu, mem, val)
    lp = linprog([-v for v in val], A_ub=[cpu, mem, [1.0] * len(val)], b_ub=[t.cpu, t.alloc_memory_gib, t.pods])
    assert relaxed == pytest.approx(-lp.fun, rel=1e-9)
    shapes = [PodGroup(f"s{i}", c, m, 1) for i, (c, m) in enumerate(zip(cpu, mem, strict=True))]
    best = max(sum(k * v for k, v in zip(p, val, strict=True)) for p in patterns_of(t, shapes))
    assert relaxed >= best * (1 - 1e-12)


def test_a_search_cut_off_settles_for_the_lp_relaxation_when_that_is_tight_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t = make_node_type("big-x", 95.5, 370.0, 2.0, pods=230)
    cpu = [0.25, 1.0, 3.0, 0.5, 2.0, 0.1, 1.5, 4.0]
    memory = [0.5, 4.0, 6.0, 2.0, 3.0, 0.25, 8.0, 9.0]
    values = [0.0051, 0.0213, 0.06, 0.0131, 0.0405, 0.0021, 0.0377, 0.0822]
    shapes = [PodGroup(f"s{i}", c, m, 1) for i, (c, m) in enumerate(zip(cpu, memory, strict=True))]
    relaxed = lp_knapsack_bound((t.cpu, t.alloc_memory_gib, t.pods), cpu, memory, values)
    fits = [True] * len(shapes)
    import placement.solver.knapsack as knapsack

    def no_cp_sat(*_: object) -> float:
        raise AssertionError("CP-SAT asked for a bound the LP relaxation settles")

    with monkeypatch.context() as m:
        m.setattr(knapsack, "_knapsack_bound", no_cp_sat)
        value, _, upper = best_pattern(t, shapes, values, fits, node_cap=5, settle=relaxed)
        assert value <= upper <= relaxed * (1 + 1e-12)  # no longer search: the LP's bound will do
        # unsettled (no `settle`): the longer search, then CP-SAT, bound it more tightly
        with pytest.raises(AssertionError, match="CP-SAT"):
            best_pattern(t, shapes, values, fits, node_cap=5)
    _, _, tighter = best_pattern(t, shapes, values, fits, node_cap=5)
    assert tighter < upper
    exact, _, tight = best_pattern(t, shapes, values, fits, node_cap=10**6)
    assert tight == pytest.approx(exact)
    assert exact <= tighter * (1 + 1e-12) and exact <= upper * (1 + 1e-12)  # both still bounds
    # a pattern worth more than `enough`, found at once, counts the nodes searched, not the cap
    work = [0]
    best_pattern(t, shapes, values, fits, node_cap=1500, enough=0.5, work=work)
    assert 0 < work[0] < 1500


@pytest.mark.parametrize("seed", range(12))
def test_batched_children_search_the_same_tree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # many tiny pods on a large node: each search node has hundreds of children, bounded in one step;
    # the pattern, the bound and the work counted are those of the child-by-child search
    import placement.solver.knapsack as knapsack

    rng = random.Random(seed)
    t = make_node_type("big-32", rng.choice([15.7, 31.65]), rng.choice([53.1, 108.5]), 1.0, pods=rng.choice([110, 250]))
    shapes = [
        PodGroup(str(i), rng.choice([0.01, 0.02, 0.05, 0.1, 0.5, 2.0]), rng.choice([0.016, 0.0625, 0.125, 1.0, 4.0]), 1)
        for i in range(rng.randint(3, 7))
    ]
    values = [rng.uniform(0.001, 0.05) for _ in shapes]
    runs = []
    for batched in (10**9, knapsack.BATCHED_CHILDREN):
        monkeypatch.setattr(knapsack, "BATCHED_CHILDREN", batched)
        work = [0]
        runs.append((best_pattern(t, shapes, values, [True] * len(shapes), node_cap=400, work=work), work[0]))
    assert runs[0] == runs[1]
    (value, pattern, upper), _ = runs[1]
    assert value == pytest.approx(sum(c * v for c, v in zip(pattern, values, strict=True)))
    assert upper >= value


def test_out_of_work_a_bound_is_still_the_lp_relaxation() -> None:
    import numpy as np

    from placement.solver.knapsack import Knapsacks

    t = make_node_type("std-8", 7.71, 25.4, 0.40, pods=40)
    shapes = [PodGroup("a", 0.25, 0.5, 1), PodGroup("b", 1.0, 4.0, 1), PodGroup("c", 3.0, 6.0, 1)]
    y = np.array([0.013, 0.06, 0.14])
    spent = Knapsacks([t], shapes, [[True] * 3], work_limit=0)
    value, pattern, upper = spent.best(0, y, np.zeros((0, 3)))
    relaxed = lp_knapsack_bound((t.cpu, t.alloc_memory_gib, t.pods), [0.25, 1.0, 3.0], [0.5, 4.0, 6.0], list(y))
    assert (value, sum(pattern)) == (0.0, 0) and upper == pytest.approx(relaxed)
    best = max(sum(c * v for c, v in zip(p, y, strict=True)) for p in patterns_of(t, shapes))
    assert best <= upper < 1.2 * best  # valid, and far below the price-per-resource bound it replaces
    # when a pattern is what is asked (pricing), no work means no pattern and no bound
    assert spent.best(0, y, np.zeros((0, 3)), enough=0.1)[2] == float("inf")
