"""The fleet a scheduled run plans: its scenario, a client per cluster, and what each cluster runs.

Two sources:

- **policy** (the CronJob): a policy file — the Scenario YAML format, mounted from a ConfigMap —
  holds the fleet settings (clusters and their contexts, user regions, latency, prices, planning).
  The clusters are read and each Deployment's `placement.dev/` annotations supply its rules
  (`placement.kube.scenario_export`); each cluster's `daemonsets` are its DaemonSets' requests
  unless the policy declares them. The policy wins for fleet settings: a cluster's `cloud`, `region`,
  `country`, `capacity` and `instanceFamilies` come from the policy when it gives them (a
  disagreement with the node labels is reported); its `autoscaler` is what the cluster serves.
  A policy without clusters means the one cluster the job runs in.
- **scenario file** (local use): the scenario as `placement plan` reads it; clusters are only
  connected to when the run touches them, and their live replicas replace `current`; the file's
  `daemonsets` (or the default) stay what it plans with.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from placement.errors import ApplyError, InvalidScenario, PlacementError, Problem, missing
from placement.kube.api import ClusterApi
from placement.live import LiveCluster
from placement.load.yaml_doc import load_yaml
from placement.scenario import API_VERSION, Cluster, Scenario

Connector = Callable[[Sequence[Cluster]], Mapping[str, ClusterApi]]
IN_CLUSTER = "in-cluster"
_LIVE_FACTS = ("autoscaler",)


@dataclass(frozen=True, slots=True)
class Fleet:
    """A scenario with `current` read from the clusters, the clients, and the live facts."""

    scenario: Scenario
    apis: Mapping[str, ClusterApi] = field(default_factory=dict)
    live: Mapping[str, LiveCluster] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # where the policy overrode what the clusters say
    daemonsets: tuple[str, ...] = ()  # per cluster, where its `daemonsets` came from (DaemonSets or policy)


def fleet_from_file(path: Path, connect: Connector | None) -> Fleet:
    """The scenario file; with `connect`, its clusters' live state replaces `current`."""
    from placement.kube.scenario_export import read_live, with_live_current
    from placement.load.scenario import load_scenario

    scenario = load_scenario(path)
    if connect is None:
        return Fleet(scenario)
    apis = dict(connect(scenario.clusters))
    live = read_live(apis, scenario)
    check_autoscalers(scenario, live)
    return Fleet(with_live_current(scenario, live), apis, live)


def fleet_from_policy(
    path: Path, connect: Connector, *, namespace: str | None = None, selector: str | None = None
) -> Fleet:
    """The policy's fleet settings + every annotated Deployment the clusters run."""
    from placement.kube.scenario_export import build, daemonset_notes, read_fleet, scenario_document

    policy = read_policy(path)
    clusters = policy_clusters(policy)
    apis = dict(connect(clusters))
    contexts = {c.name: c.context for c in clusters}
    observed = read_fleet(apis, contexts=contexts, namespace=namespace, selector=selector, base=policy)
    document, notes = merge_policy(scenario_document(observed, base=policy), policy)
    scenario = build(document, base_dir=path.parent, source=f"{path} + live clusters")
    live = {o.live.name: o.live for o in observed}
    return Fleet(scenario, apis, live, tuple(notes), tuple(daemonset_notes(observed, base=policy)))


def read_policy(path: Path) -> dict[str, Any]:
    """The policy document (Scenario YAML); clusters default to the one the job runs in."""
    try:
        document, problems = load_yaml(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InvalidScenario(
            str(path), [Problem("(file)", missing(), f"not UTF-8 text (byte {error.start}): save the file as UTF-8")]
        ) from None
    except FileNotFoundError:
        raise PlacementError(
            f"policy file {path} not found: mount the placement-policy ConfigMap there, or pass "
            "--policy FILE (or --scenario FILE for a scenario file)"
        ) from None
    except yaml.YAMLError as error:
        raise InvalidScenario(str(path), [Problem("(file)", missing(), f"is not valid YAML: {error}")]) from None
    if problems:
        raise InvalidScenario(str(path), problems)
    if not isinstance(document, dict):
        raise InvalidScenario(str(path), [Problem("(file)", document, "must be a Scenario document (a mapping)")])
    document.setdefault("apiVersion", API_VERSION)
    document.setdefault("kind", "Scenario")
    document.setdefault("metadata", {"name": "fleet"})
    spec = document.setdefault("spec", {})
    if not isinstance(spec, dict):
        raise InvalidScenario(str(path), [Problem("spec", spec, "must be a mapping")])
    if not spec.get("clusters"):
        spec["clusters"] = [{"name": IN_CLUSTER}]
    return document


def policy_clusters(policy: Mapping[str, Any]) -> list[Cluster]:
    """Just enough of each policy cluster to connect to it: its name and context."""
    problems = []
    clusters = []
    for index, entry in enumerate(policy["spec"]["clusters"]):
        if not isinstance(entry, Mapping) or not entry.get("name"):
            problems.append(Problem(f"spec.clusters[{index}].name", missing(), "is required"))
            continue
        clusters.append(
            Cluster(
                name=str(entry["name"]),
                cloud=str(entry.get("cloud") or ""),
                region=str(entry.get("region") or ""),
                country="",
                context=entry.get("context"),
            )
        )
    if problems:
        raise InvalidScenario("policy", problems)
    return clusters


def merge_policy(document: Mapping[str, Any], policy: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`document` with each policy cluster's fields put back over what the clusters reported
    (except the autoscaler, which must be what the cluster serves); notes name each override."""
    merged = copy.deepcopy(dict(document))
    declared = {c["name"]: c for c in (policy.get("spec") or {}).get("clusters") or () if isinstance(c, Mapping)}
    notes = []
    for entry in merged["spec"]["clusters"]:
        for key, value in (declared.get(entry["name"]) or {}).items():
            if key in _LIVE_FACTS:
                if value != entry.get(key):
                    notes.append(
                        f"cluster {entry['name']}: the policy says {key} {value} but the cluster serves "
                        f"{entry.get(key)}; using what it serves"
                    )
                continue
            if key in entry and entry[key] != value:
                notes.append(
                    f"cluster {entry['name']}: the nodes say {key} {entry[key]} but the policy says "
                    f"{value}; using the policy"
                )
            entry[key] = copy.deepcopy(value)
    return merged, notes


def check_autoscalers(scenario: Scenario, live: Mapping[str, LiveCluster]) -> None:
    """Refuse a scenario that names a Karpenter version a cluster does not serve."""
    for name, cluster in live.items():
        declared = scenario.cluster(name).autoscaler
        karpenter = declared.startswith("karpenter/") or cluster.autoscaler.startswith("karpenter/")
        if cluster.autoscaler != declared and karpenter:
            raise ApplyError(
                f"cluster {name}: the scenario says autoscaler {declared} but the cluster serves "
                f"{cluster.autoscaler}; fix clusters[].autoscaler (see `placement scenario export`)"
            )
