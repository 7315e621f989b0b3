"""The independent validator's node check: pods must fit the planned nodes whenever some packing
exists — a first fit is only the quick path (it is not Karpenter's order and misses packings)."""

from __future__ import annotations

from placement.analysis.validate import _fits_exactly, _homeless

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
