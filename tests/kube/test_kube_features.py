"""The Kubernetes version a `/version` answer reports, and the pod fields each version serves."""

from __future__ import annotations

import pytest

from placement.patches.kube_features import has_match_label_keys, has_min_domains, parse_version


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"major": "1", "minor": "24", "gitVersion": "v1.24.1"}, (1, 24)),
        ({"major": "1", "minor": "27+", "gitVersion": "v1.27.3-eks-a5565ad"}, (1, 27)),  # EKS/GKE add "+"
        ({"major": "", "minor": "", "gitVersion": "v1.30.0-gke.1"}, (1, 30)),  # only gitVersion
        ({}, None),
        ("not json", None),
    ],
)
def test_parse_version(info, expected) -> None:
    assert parse_version(info) == expected


def test_feature_thresholds() -> None:
    assert not has_min_domains((1, 24)) and has_min_domains((1, 25)) and has_min_domains(None)
    assert not has_match_label_keys((1, 26)) and has_match_label_keys((1, 27)) and has_match_label_keys(None)
