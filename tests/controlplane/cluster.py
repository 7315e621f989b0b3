"""One etcd and, per cluster, a kube-apiserver (token auth, RBAC, ServiceAccount keys) with its
kube-controller-manager, kube-scheduler and kubelet stand-in, on free loopback ports."""

from __future__ import annotations

import base64
import secrets
import subprocess
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from controlplane.binaries import etcd_binary, unpack
from controlplane.kubelet import KubeletStandIn, NodeSpec
from controlplane.processes import Process, free_port, wait_until

ADMIN = "admin"
# A user with no groups and no bindings: RBAC decides everything it may do (tests bind roles to it).
RESTRICTED = "restricted"
SERVICE_CIDR = "10.96.0.0/16"
DISABLED_CONTROLLERS = "*,-nodelifecycle,-nodeipam,-cloud-node-lifecycle,-route,-service"


@dataclass
class ControlPlane:
    """One cluster: its API server and controllers, reached as `admin` (system:masters)."""

    name: str
    directory: Path
    binaries: Mapping[str, Path]
    etcd_url: str
    nodes: Sequence[NodeSpec] = ()
    controllers: bool = True
    port: int = field(default_factory=free_port)
    tokens: dict[str, str] = field(
        default_factory=lambda: {ADMIN: secrets.token_hex(16), RESTRICTED: secrets.token_hex(16)}
    )
    processes: dict[str, Process] = field(default_factory=dict)
    kubelet: KubeletStandIn | None = None

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (context named like the cluster)."""
        return self.directory / "admin.kubeconfig"

    # -- lifecycle ---------------------------------------------------------------------------------
    def launch_apiserver(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = self._service_account_key()
        tokens = self.directory / "tokens.csv"
        tokens.write_text(
            f'{self.tokens[ADMIN]},{ADMIN},{ADMIN},"system:masters"\n'
            f"{self.tokens[RESTRICTED]},{RESTRICTED},{RESTRICTED}\n"
        )
        args = [
            str(self.binaries["kube-apiserver"]),
            f"--etcd-servers={self.etcd_url}",
            f"--etcd-prefix=/registry-{self.name}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.port}",
            f"--cert-dir={self.directory / 'certs'}",
            f"--token-auth-file={tokens}",
            "--authorization-mode=RBAC",
            f"--service-account-key-file={keys}",
            f"--service-account-signing-key-file={keys}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount",
            "--profiling=false",
            "--enable-priority-and-fairness=false",
            "--endpoint-reconciler-type=none",
        ]
        self.processes["kube-apiserver"] = Process(
            "kube-apiserver", args, self.directory / "kube-apiserver.log"
        ).start()

    def wait_apiserver(self, timeout_s: float = 90.0) -> None:
        def ready() -> bool:
            import ssl
            import urllib.request

            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            request = urllib.request.Request(
                f"{self.server}/readyz", headers={"Authorization": f"Bearer {self.tokens[ADMIN]}"}
            )
            with urllib.request.urlopen(request, timeout=2, context=context) as response:
                return bool(response.status == 200)

        wait_until(
            ready,
            what=f"{self.name} kube-apiserver /readyz",
            process=self.processes["kube-apiserver"],
            timeout_s=timeout_s,
        )
        self._write_kubeconfig(self.kubeconfig, self.tokens[ADMIN], ADMIN)

    @property
    def ca_file(self) -> Path:
        """The CA of the serving certificate the API server made itself (the last block of its chain)."""
        ca = self.directory / "ca.crt"
        if not ca.exists():
            chain = (self.directory / "certs" / "apiserver.crt").read_text()
            ca.write_text("-----BEGIN CERTIFICATE-----" + chain.split("-----BEGIN CERTIFICATE-----")[-1])
        return ca

    def start_controllers(self) -> None:
        common = [f"--kubeconfig={self.kubeconfig}", "--leader-elect=false", "--secure-port=0"]
        self.kubelet = KubeletStandIn(self.api_client(), self.nodes).start()
        if not self.controllers:
            return
        keys = self.directory / "sa.key"
        self.processes["kube-controller-manager"] = Process(
            "kube-controller-manager",
            [
                str(self.binaries["kube-controller-manager"]),
                *common,
                f"--service-account-private-key-file={keys}",
                f"--controllers={DISABLED_CONTROLLERS}",
                "--concurrent-deployment-syncs=2",
                "--concurrent-replicaset-syncs=2",
            ],
            self.directory / "kube-controller-manager.log",
        ).start()
        self.processes["kube-scheduler"] = Process(
            "kube-scheduler", [str(self.binaries["kube-scheduler"]), *common], self.directory / "kube-scheduler.log"
        ).start()

    def stop_apiserver(self) -> None:
        """Stop the API server only (a cluster that stops answering)."""
        self.processes["kube-apiserver"].stop()

    def restart_apiserver(self) -> None:
        self.processes["kube-apiserver"].start()
        self.wait_apiserver()

    def stop(self) -> None:
        if self.kubelet is not None:
            self.kubelet.stop()
        processes = [
            self.processes[n]
            for n in ("kube-scheduler", "kube-controller-manager", "kube-apiserver")
            if n in self.processes
        ]
        for process in processes:
            process.terminate()
        for process in processes:  # v1.24's scheduler does not exit on SIGTERM: it gets SIGKILL after 2 s
            process.wait_stopped(timeout_s=2 if process.name != "kube-apiserver" else 10)

    # -- access --------------------------------------------------------------------------------------
    def api_client(self, token: str | None = None) -> Any:
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = self.server
        configuration.ssl_ca_cert = str(self.ca_file)
        configuration.api_key = {"authorization": f"Bearer {token or self.tokens[ADMIN]}"}
        configuration.retries = 0
        return client.ApiClient(configuration)

    def kubeconfig_for(self, path: Path, token: str, *, context: str | None = None) -> Path:
        """A kubeconfig for another identity (a ServiceAccount token, the restricted user)."""
        return self._write_kubeconfig(path, token, context or self.name)

    def service_account_token(self, namespace: str, name: str, *, seconds: int = 3600) -> str:
        from kubernetes import client

        core = client.CoreV1Api(self.api_client())
        request = core.create_namespaced_service_account_token(
            name, namespace, {"spec": {"expirationSeconds": seconds}}
        )
        return str(request.status.token)

    # -- internals -----------------------------------------------------------------------------------
    def _service_account_key(self) -> Path:
        key = self.directory / "sa.key"
        if not key.exists():
            subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        return key

    def _write_kubeconfig(self, path: Path, token: str, user: str) -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": self.name,
                    "cluster": {
                        "server": self.server,
                        "certificate-authority-data": base64.b64encode(self.ca_file.read_bytes()).decode(),
                    },
                }
            ],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [
                {"name": self.name if user == ADMIN else user, "context": {"cluster": self.name, "user": user}}
            ],
            "current-context": self.name if user == ADMIN else user,
        }
        path.write_text(yaml.safe_dump(config))
        return path


@dataclass
class Fleet:
    """Clusters sharing one etcd (one key prefix each): a multi-cluster fleet for one test session."""

    directory: Path
    etcd: Process
    clusters: dict[str, ControlPlane]
    started_s: float = 0.0

    @classmethod
    def start(cls, directory: Path, nodes: Mapping[str, Sequence[NodeSpec]], *, controllers: bool = True) -> Fleet:
        began = time.monotonic()
        directory.mkdir(parents=True, exist_ok=True)
        binaries = unpack(directory / "bin")
        client_port, peer_port = free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{client_port}"
        etcd_binary_path = etcd_binary()
        assert etcd_binary_path is not None
        etcd = Process(
            "etcd",
            [
                etcd_binary_path,
                "--name=placement-tests",
                f"--data-dir={directory / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-cluster=placement-tests=http://127.0.0.1:{peer_port}",
                "--unsafe-no-fsync",
                "--quota-backend-bytes=1073741824",
            ],
            directory / "etcd.log",
        ).start()
        fleet = cls(directory, etcd, {})
        try:
            wait_until(lambda: _etcd_healthy(etcd_url), what="etcd", process=etcd, timeout_s=30)
            for name, specs in nodes.items():
                fleet.clusters[name] = ControlPlane(name, directory / name, binaries, etcd_url, specs, controllers)
            for plane in fleet.clusters.values():
                plane.launch_apiserver()
            with ThreadPoolExecutor(len(fleet.clusters)) as pool:
                list(pool.map(lambda p: p.wait_apiserver(), fleet.clusters.values()))
            for plane in fleet.clusters.values():
                plane.start_controllers()
        except BaseException:
            fleet.stop()
            raise
        fleet.started_s = time.monotonic() - began
        return fleet

    def kubeconfig(self, path: Path) -> Path:
        """One kubeconfig holding every cluster's admin context (named like the clusters)."""
        merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
        for plane in self.clusters.values():
            config = yaml.safe_load(plane.kubeconfig.read_text())
            merged["clusters"] += config["clusters"]
            merged["users"].append({"name": f"admin-{plane.name}", "user": config["users"][0]["user"]})
            merged["contexts"].append(
                {"name": plane.name, "context": {"cluster": plane.name, "user": f"admin-{plane.name}"}}
            )
        merged["current-context"] = next(iter(self.clusters))
        path.write_text(yaml.safe_dump(merged))
        return path

    def stop(self) -> None:
        with ThreadPoolExecutor(max(1, len(self.clusters))) as pool:
            list(pool.map(lambda p: p.stop(), self.clusters.values()))
        self.etcd.stop()


def _etcd_healthy(url: str) -> bool:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
        return bool(json.loads(response.read()).get("health") == "true")
