"""A real Kubernetes control plane for the tests: etcd (Debian `etcd-server`) and the v1.24
kube-apiserver, kube-controller-manager and kube-scheduler kept in `../shared/k8s`, on free
loopback ports in a temporary folder, with a kubelet stand-in that plays the nodes.

`unavailable()` says why it cannot run here (tests skip on it); `Fleet.start(...)` starts one etcd
and one API server per cluster (each under its own etcd prefix), `Fleet.stop()` ends every process
group it started.
"""

from controlplane.binaries import unavailable
from controlplane.cluster import ControlPlane, Fleet
from controlplane.kubelet import KubeletStandIn, NodeSpec

__all__ = ["ControlPlane", "Fleet", "KubeletStandIn", "NodeSpec", "unavailable"]
