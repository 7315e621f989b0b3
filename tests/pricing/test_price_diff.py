"""Catalog diff: added, removed and re-priced offers, largest hourly impact first."""

from __future__ import annotations

import pytest
from builders import make_offer

from pricing.catalog import Catalog
from pricing.diff import ChangeKind, diff_catalogs
from pricing.offer import CapacityType

OLD = Catalog(
    [
        make_offer(instance_type="m5.large", hourly_usd=0.096),
        make_offer(instance_type="m5.24xlarge", hourly_usd=4.608),
        make_offer(instance_type="t3.nano", hourly_usd=0.0052),
        make_offer(instance_type="m5.large", capacity_type=CapacityType.SPOT, zone="eu-west-1a", hourly_usd=0.04),
        make_offer(cloud="gcp", region="us-central1", instance_type="n2-standard-2", hourly_usd=0.097),
    ]
)
NEW = Catalog(
    [
        make_offer(instance_type="m5.large", hourly_usd=0.096),  # unchanged
        make_offer(instance_type="m5.24xlarge", hourly_usd=4.8),  # +0.192 (+4.2%)
        make_offer(instance_type="t3.nano", hourly_usd=0.0104),  # +0.0052 (+100%)
        make_offer(instance_type="m5.large", capacity_type=CapacityType.SPOT, zone="eu-west-1a", hourly_usd=0.03),
        make_offer(cloud="gcp", region="us-central1", instance_type="n2-standard-4", hourly_usd=0.194),  # added
    ]
)


def test_changes_are_sorted_by_hourly_impact() -> None:
    diff = diff_catalogs(OLD, NEW)
    assert [(c.instance_type, c.kind, round(c.delta_usd, 4)) for c in diff.changes] == [
        ("n2-standard-4", ChangeKind.ADDED, 0.194),
        ("m5.24xlarge", ChangeKind.CHANGED, 0.192),
        ("n2-standard-2", ChangeKind.REMOVED, -0.097),
        ("m5.large", ChangeKind.CHANGED, -0.01),
        ("t3.nano", ChangeKind.CHANGED, 0.0052),
    ]
    assert diff.unchanged == 1 and bool(diff)
    spot = next(c for c in diff.changes if c.capacity_type == "spot")
    assert spot.where == "aws/eu-west-1/eu-west-1a" and spot.relative == pytest.approx(-0.25)


def test_small_relative_changes_can_be_ignored() -> None:
    diff = diff_catalogs(OLD, NEW, min_relative=0.05)
    assert "m5.24xlarge" not in {c.instance_type for c in diff.changes}  # +4.2 % < 5 %
    assert diff.unchanged == 2


def test_identical_catalogs_have_no_changes() -> None:
    diff = diff_catalogs(OLD, Catalog(list(OLD)))
    assert not diff and diff.unchanged == len(OLD)


def test_per_cloud_summary() -> None:
    summary = {s.cloud: s for s in diff_catalogs(OLD, NEW).by_cloud()}
    aws = summary["aws"]
    assert (aws.changed, aws.up, aws.down, aws.added, aws.removed) == (3, 2, 1, 0, 0)
    assert aws.median_relative == pytest.approx(0.192 / 4.608)
    assert (summary["gcp"].added, summary["gcp"].removed, summary["gcp"].median_relative) == (1, 1, None)
