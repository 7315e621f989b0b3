"""The independent validator's node check: pods must fit the planned nodes whenever some packing
exists — greedy fits are only the quick path (not Karpenter's order; they miss packings)."""

from __future__ import annotations

from placement.analysis.validate import _fit, _fits_exactly, _homeless

AMD = ("amd64",)
# a memory-tight pool from a generated fleet: Karpenter's simulation packed it on these nodes
PODS = (
    [(2.0, 0.5, "a", AMD)] * 4
    + [(1.0, 2.0, "b", AMD)] * 2
    + [(0.5, 4.0, "c", AMD)] * 11
    + [(0.5, 0.5, "d", AMD)] * 9
    + [(0.25, 4.0, "e", AMD)] * 13
)
BIG, SMALL = (7.71, 28.13, 54, "amd64"), (3.72, 13.33, 54, "amd64")


def test_a_packing_a_first_fit_misses_is_found() -> None:
    nodes = [BIG] * 4 + [SMALL]
    assert _homeless(PODS, nodes) == 1  # largest first, first node with room: one 4 GiB pod left over
    assert _fits_exactly(PODS, nodes) is True


def test_too_little_memory_is_proved_short() -> None:
    nodes = [BIG] * 3 + [SMALL]  # 97.7 GiB of room for 106.5 GiB of requests
    assert _homeless(PODS, nodes) > 0
    assert _fits_exactly(PODS, nodes) is False


def test_pods_no_node_can_run_are_proved_short() -> None:
    assert _fits_exactly([(1.0, 1.0, "a", ("arm64",))], [BIG]) is False


def test_pod_slots_count() -> None:
    pods = [(0.1, 0.1, "a", AMD)] * 5
    assert _fits_exactly(pods, [(8.0, 8.0, 4, "amd64")]) is False
    assert _fits_exactly(pods, [(8.0, 8.0, 4, "amd64"), (1.0, 1.0, 1, "amd64")]) is True


def test_single_arch_pods_are_fitted_before_the_pods_that_run_anywhere() -> None:
    # by size alone the multi-arch pods (listed first, equal sizes) take the amd64 node's room and an
    # amd64-only pod is left over; placing the more constrained pods first fits all without a search
    both = ("amd64", "arm64")
    pods = [(3.0, 6.0, "any", both)] * 2 + [(3.0, 6.0, "amd", AMD)] * 2
    nodes = [(6.5, 13.0, 110, "amd64"), (6.5, 12.9, 110, "arm64")]
    by_size = sorted(pods, key=lambda p: (-p[0], -p[1]))
    assert _fit(by_size, nodes, best=False) == 2
    assert _homeless(pods, nodes) == 0
