"""The DaemonSets' per-node overhead (`placement.kube.daemonsets`): each pod's effective requests as the
scheduler counts them (containers summed, init containers by Kubernetes' max rule, sidecars, pod
overhead, limits standing in for missing requests), summed over the DaemonSets that would run on a
Linux worker node — control-plane-only and non-Linux DaemonSets left out, the rest counted — and
carried into the exported scenario unless the base declares `daemonsets`."""

from __future__ import annotations

import pytest
from kube_world import daemonset, world

from placement.kube.api import ClusterError
from placement.kube.daemonsets import daemonset_overhead, pod_requests
from placement.kube.read import read_cluster
from placement.kube.scenario_export import build, daemonset_notes, read_fleet, read_live, scenario_document
from pricing.nodes import DaemonsetOverhead

MI = 1 / 1024  # GiB


def _overhead(*daemonsets: dict) -> tuple[float, float, int]:
    o = daemonset_overhead(daemonsets).overhead
    return o.cpu, o.memory_gib, o.pods


def _container(name: str, cpu: str | None = None, memory: str | None = None, **extra: object) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": name, "image": "registry.example/x:1", "resources": {"requests": requests}, **extra}


def test_requests_are_summed_over_containers_and_daemonsets_one_pod_each() -> None:
    cni = daemonset(
        "cni", containers=[_container("agent", "25m", "40Mi"), _container("monitor", "10m", "24Mi")]
    )  # 35m, 64Mi
    proxy = daemonset("kube-proxy", requests={"cpu": "100m", "memory": "128Mi"})
    logs = daemonset("fluent-bit", "logging", requests={"cpu": "0.1", "memory": "64Mi"})
    assert _overhead(cni, proxy, logs) == pytest.approx((0.235, 256 * MI, 3))
    assert _overhead() == (0.0, 0.0, 0)  # no DaemonSets: the nodes run none, so zero (not the default)


@pytest.mark.parametrize(
    ("containers", "init", "expected"),
    [
        # one init container bigger than the containers' sum: it sets the pod's requests
        (
            [_container("a", "100m", "64Mi"), _container("b", "100m", "64Mi")],
            [_container("i", "500m", "32Mi")],
            (0.5, 128 * MI),
        ),
        # init containers run one at a time: the largest counts, not their sum
        (
            [_container("a", "100m", "64Mi")],
            [_container("i1", "300m", "256Mi"), _container("i2", "200m", "512Mi")],
            (0.3, 512 * MI),
        ),
        # a sidecar (restartPolicy Always) runs beside the containers and beside later init containers
        (
            [_container("a", "100m", "64Mi")],
            [_container("mesh", "50m", "32Mi", restartPolicy="Always"), _container("migrate", "120m", "16Mi")],
            (0.17, 96 * MI),
        ),
    ],
)
def test_init_containers_follow_kubernetes_effective_request_rule(containers, init, expected) -> None:
    cpu, memory_gib = pod_requests({"containers": containers, "initContainers": init})
    assert (cpu, memory_gib) == pytest.approx(expected)


def test_pod_overhead_is_added_and_a_limit_stands_in_for_a_missing_request() -> None:
    with_overhead = daemonset("kata-agent", requests={"cpu": "100m", "memory": "64Mi"})
    with_overhead["spec"]["template"]["spec"]["overhead"] = {"cpu": "250m", "memory": "120Mi"}
    limits_only = daemonset("node-exporter", containers=[{"name": "x", "resources": {"limits": {"cpu": "200m"}}}])
    no_resources = daemonset("bare", containers=[{"name": "x", "image": "registry.example/x:1"}])
    assert _overhead(with_overhead) == pytest.approx((0.35, 184 * MI, 1))
    # the API server defaults each Pod's requests to its limits (not the template's): 200m, no memory
    assert _overhead(limits_only, no_resources) == pytest.approx((0.2, 0.0, 2))


def test_pod_level_requests_replace_the_containers_aggregate() -> None:
    spec = {"containers": [_container("a", "100m", "64Mi")], "resources": {"requests": {"cpu": "300m"}}}
    cpu, memory_gib = pod_requests(spec)
    assert (cpu, memory_gib) == pytest.approx((0.3, 64 * MI))  # memory not set at pod level: the containers'


@pytest.mark.parametrize(
    ("memory", "gib"),
    [
        ("128Mi", 0.125),
        ("1Gi", 1.0),
        ("131072Ki", 0.125),
        ("134217728", 0.125),  # bare bytes
        ("1G", 1e9 / 2**30),  # decimal SI: 10^9 bytes, not 2^30
        ("500M", 5e8 / 2**30),
        ("1.5Gi", 1.5),
        ("128974848000m", 128974848 / 2**30),  # millibytes: valid, if odd
    ],
)
def test_memory_in_every_unit_kubernetes_accepts(memory, gib) -> None:
    assert _overhead(daemonset("x", requests={"cpu": "1m", "memory": memory}))[1] == pytest.approx(gib)


def test_control_plane_and_non_linux_daemonsets_are_left_out_with_the_reason() -> None:
    everywhere = daemonset("kube-proxy", requests={"cpu": "100m", "memory": "128Mi"})
    control_plane = daemonset(
        "etcd-backup",
        requests={"cpu": "1", "memory": "1Gi"},
        nodeSelector={"node-role.kubernetes.io/control-plane": ""},
    )
    master = daemonset(
        "old-master",
        requests={"cpu": "1"},
        affinity=_required({"key": "node-role.kubernetes.io/master", "operator": "Exists"}),
    )
    windows = daemonset("win-proxy", requests={"cpu": "1"}, nodeSelector={"kubernetes.io/os": "windows"})
    not_linux = daemonset(
        "win-cni",
        requests={"cpu": "1"},
        affinity=_required({"key": "kubernetes.io/os", "operator": "NotIn", "values": ["linux"]}),
    )
    reading = daemonset_overhead([everywhere, control_plane, master, windows, not_linux])
    assert (reading.overhead.cpu, reading.overhead.pods) == (0.1, 1)
    assert reading.counted == ("kube-system/kube-proxy",)
    assert dict(reading.skipped) == {
        "kube-system/etcd-backup": "control-plane nodes only",
        "kube-system/old-master": "control-plane nodes only",
        "kube-system/win-proxy": "needs kubernetes.io/os In ['windows']: never a Linux amd64/arm64 worker",
        "kube-system/win-cni": "needs kubernetes.io/os NotIn ['linux']: never a Linux amd64/arm64 worker",
    }


def test_daemonsets_selecting_labels_placement_cannot_judge_are_counted() -> None:
    """Node pools, instance types, GPUs: placement's nodes may carry these labels, and a node that
    hosts its pods pays for every DaemonSet there — so counting is the conservative choice."""
    gpu = daemonset("nvidia-device-plugin", requests={"cpu": "50m"}, nodeSelector={"nvidia.com/gpu.present": "true"})
    pool = daemonset(
        "pool-agent",
        requests={"cpu": "50m"},
        affinity=_required({"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["p4d.24xlarge"]}),
    )
    workers = daemonset(  # avoids control-plane nodes: runs on every worker
        "csi-node",
        requests={"cpu": "50m"},
        affinity=_required({"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"}),
    )
    either = daemonset(  # terms are ORed: control-plane nodes, or Linux ones
        "either",
        requests={"cpu": "50m"},
        affinity=_required(
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
            ored=True,
        ),
    )
    reading = daemonset_overhead([gpu, pool, workers, either])
    assert (reading.overhead.cpu, reading.overhead.pods, reading.skipped) == (pytest.approx(0.2), 4, ())


def test_architecture_twins_count_once_the_larger_per_resource() -> None:
    amd = daemonset(
        "agent-amd64", requests={"cpu": "200m", "memory": "64Mi"}, nodeSelector={"kubernetes.io/arch": "amd64"}
    )
    arm = daemonset(
        "agent-arm64", requests={"cpu": "100m", "memory": "256Mi"}, nodeSelector={"kubernetes.io/arch": "arm64"}
    )
    common = daemonset("kube-proxy", requests={"cpu": "100m", "memory": "64Mi"})
    s390x = daemonset("mainframe", requests={"cpu": "1"}, nodeSelector={"kubernetes.io/arch": "s390x"})
    reading = daemonset_overhead([amd, arm, common, s390x])
    # an amd64 node pays 300m + 128Mi, an arm64 node 200m + 320Mi: the larger of each, 2 pods
    assert _overhead(amd, arm, common, s390x) == pytest.approx((0.3, 320 * MI, 2))
    assert [name for name, _ in reading.skipped] == ["kube-system/mainframe"]


def test_a_daemonset_being_deleted_is_left_out() -> None:
    leaving = daemonset("old-agent", requests={"cpu": "1"})
    leaving["metadata"]["deletionTimestamp"] = "2026-12-07T00:00:00Z"
    assert _overhead(leaving) == pytest.approx((0.0, 0.0, 0))


def test_a_request_that_is_not_a_quantity_names_the_daemonset(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"DaemonSet kube-system/odd: container odd requests.cpu 'lots'"):
        daemonset_overhead([daemonset("odd", requests={"cpu": "lots"})])
    with world(tmp_path) as w:
        w.b.seed(daemonset("odd", requests={"memory": "-1Gi"}))
        with pytest.raises(ClusterError, match=r"cluster b: DaemonSet kube-system/odd: .*must not be negative"):
            read_cluster(w.apis()["b"])


def test_the_reader_lists_daemonsets_of_all_namespaces_once(tmp_path) -> None:
    with world(tmp_path) as w:
        a = read_cluster(w.apis()["a"]).live
        live = read_live(w.apis(), w.scenario)
    assert a.daemonsets is not None
    assert a.daemonsets.counted == ("kube-system/kube-proxy", "monitoring/node-exporter")
    assert [r.path for r in w.a.requests if "daemonsets" in r.path] == ["/apis/apps/v1/daemonsets"]
    # diff/apply plan with the scenario's own daemonsets: they do not read the DaemonSets
    assert live["a"].daemonsets is None


def test_the_exported_scenario_carries_the_live_overhead_unless_the_base_declares_it(tmp_path) -> None:
    base = {
        "apiVersion": "placement.dev/v1alpha1",
        "kind": "Scenario",
        "metadata": {"name": "prod"},
        "spec": {
            "clusters": [
                {"name": "a", "cloud": "aws", "region": "eu-west-1", "context": "ctx-a"},
                {
                    "name": "b",
                    "cloud": "gcp",
                    "region": "europe-west4",
                    "context": "ctx-b",
                    "daemonsets": {"cpu": "300m", "memory": "512Mi", "pods": 3},
                },
            ],
            "workloads": [],
        },
    }
    with world(tmp_path) as w:
        observed = read_fleet(w.apis(), base=base)
    document = scenario_document(observed, base=base)
    clusters = {c["name"]: c for c in document["spec"]["clusters"]}
    assert clusters["a"]["daemonsets"] == {"cpu": "150m", "memory": "192Mi", "pods": 2}
    assert clusters["b"]["daemonsets"] == {"cpu": "300m", "memory": "512Mi", "pods": 3}  # declared: kept
    scenario = build(document)
    assert scenario.cluster("a").daemonsets == DaemonsetOverhead(cpu=0.15, memory_gib=0.1875, pods=2)
    assert scenario.cluster("b").daemonsets == DaemonsetOverhead(cpu=0.3, memory_gib=0.5, pods=3)
    notes = daemonset_notes(observed, base=base)
    assert notes[0].startswith("cluster a: daemonsets read from the cluster: 150m CPU, 192Mi memory, 2 pods")
    assert notes[1] == (
        "cluster b: daemonsets as declared ({'cpu': '300m', 'memory': '512Mi', 'pods': 3}); "
        "its DaemonSets request 0m CPU, 0Mi memory, 0 pods per node from 0 DaemonSets"
    )


def _required(*expressions: dict, ored: bool = False) -> dict:
    """Required node affinity: the expressions in one term (ANDed), or one term each (`ored`)."""
    terms = [{"matchExpressions": [e]} for e in expressions] if ored else [{"matchExpressions": list(expressions)}]
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}
