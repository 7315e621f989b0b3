"""The nodes of the local e2e fleet, labelled as the clouds label them (REFERENCE §2)."""

from __future__ import annotations

from controlplane import NodeSpec

_AWS = {
    "topology.kubernetes.io/region": "eu-west-1",
    "kubernetes.io/arch": "amd64",
    "kubernetes.io/os": "linux",
    "node.kubernetes.io/instance-type": "m5.large",
}
_GCP = {
    "topology.kubernetes.io/region": "europe-west4",
    "kubernetes.io/arch": "amd64",
    "kubernetes.io/os": "linux",
    "node.kubernetes.io/instance-type": "n2-standard-4",
    "cloud.google.com/gke-nodepool": "default-pool",
    "cloud.google.com/gke-provisioning": "standard",
}

FLEET_NODES = {
    "e2e": [
        NodeSpec(
            "ip-10-0-1-10.eu-west-1.compute.internal",
            {
                **_AWS,
                "topology.kubernetes.io/zone": "eu-west-1a",
                "karpenter.sh/capacity-type": "on-demand",
                "eks.amazonaws.com/capacityType": "ON_DEMAND",
            },
            "aws:///eu-west-1a/i-0a1b2c3d4e5f00001",
        ),
        NodeSpec(
            "ip-10-0-2-20.eu-west-1.compute.internal",
            {
                **_AWS,
                "topology.kubernetes.io/zone": "eu-west-1b",
                "karpenter.sh/capacity-type": "spot",
                "eks.amazonaws.com/capacityType": "SPOT",
            },
            "aws:///eu-west-1b/i-0a1b2c3d4e5f00002",
        ),
    ],
    "e2e-b": [
        NodeSpec(
            "gke-b-default-pool-0001",
            {**_GCP, "topology.kubernetes.io/zone": "europe-west4-a"},
            "gce://e2e-project/europe-west4-a/gke-b-default-pool-0001",
        ),
        NodeSpec(
            "gke-b-spot-pool-0001",
            {
                **_GCP,
                "topology.kubernetes.io/zone": "europe-west4-b",
                "cloud.google.com/gke-spot": "true",
                "cloud.google.com/gke-provisioning": "spot",
            },
            "gce://e2e-project/europe-west4-b/gke-b-spot-pool-0001",
        ),
    ],
}
