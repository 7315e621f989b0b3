"""A spot/on-demand split on the real API server: placement writes only pod fields the server's
Kubernetes version knows, so the diff, a server-side dry run and the apply all succeed. v1.24 has no
`matchLabelKeys` (an apply carrying it is a 500) and `minDomains` is gated off there, so on 1.24 the
split is pinned to on-demand; from 1.25 it is a topology spread over the capacity type."""

from __future__ import annotations

import pytest
from e2e_builders import assignment, cluster_entry, deployment, workload_entry, write_inputs

from placement.cli import main

pytestmark = pytest.mark.e2e


def test_a_spot_split_applies_on_the_servers_version(cluster, namespace, karpenter, tmp_path, capsys) -> None:
    cluster.ssa(deployment(namespace, "web", 1))
    scenario, plan = write_inputs(
        tmp_path,
        [cluster_entry("e2e", cluster.context, autoscaler="karpenter/v1" if karpenter else "none")],
        [workload_entry(namespace, "web", 3, {"e2e": 1}) | {"spot": {"maxFraction": 0.7}}],
        [assignment(f"{namespace}/web", "e2e", on_demand=1, spot=2)],
    )
    args = [
        "--scenario",
        str(scenario),
        "--plan",
        str(plan),
        "--kubeconfig",
        cluster.kubeconfig,
        "--context",
        cluster.context,
        "--force-conflicts",
    ]

    version = cluster.version()
    assert main(["diff", *args]) == 1, capsys.readouterr().err
    assert ("topologySpreadConstraints" in capsys.readouterr().out) == (version >= (1, 25))
    assert main(["apply", *args, "--dry-run=server"]) == 0, capsys.readouterr().err
    assert main(["apply", *args, "--wait-timeout", "120"]) == 0, capsys.readouterr().err
    web = cluster.deployment(namespace, "web")
    assert (web.status.available_replicas or 0) == 3
    if version >= (1, 25):
        (spread,) = web.spec.template.spec.topology_spread_constraints
        assert spread.topology_key == "karpenter.sh/capacity-type" and spread.max_skew == 1
        assert spread.min_domains == 2
    else:  # pinned to on-demand: the floor holds without minDomains
        assert web.spec.template.spec.topology_spread_constraints is None
        (term,) = (
            web.spec.template.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms
        )
        assert term.match_expressions[0].values == ["on-demand"]
    capsys.readouterr()
    assert main(["diff", *args]) == 0, capsys.readouterr().out
