"""Where the control-plane binaries come from: `../shared/k8s/*.xz` beside the repository (decompressed
into the session's temporary folder, never into the project) and etcd from the Debian package."""

from __future__ import annotations

import lzma
import os
import shutil
from pathlib import Path

SHARED_K8S = Path(__file__).resolve().parents[2].parent / "shared" / "k8s"
KUBE_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
ETCD_ENV = "PLACEMENT_ETCD"  # override the etcd binary (default: `etcd` on PATH, as Debian installs it)


def etcd_binary() -> str | None:
    chosen = os.environ.get(ETCD_ENV) or shutil.which("etcd") or "/usr/bin/etcd"
    return chosen if Path(chosen).is_file() and os.access(chosen, os.X_OK) else None


def unavailable() -> str | None:
    """Why a real control plane cannot run on this machine, or None when it can."""
    missing = [name for name in KUBE_BINARIES if not (SHARED_K8S / f"{name}.xz").exists()]
    if missing:
        return f"no {', '.join(missing)} in {SHARED_K8S} (the real-control-plane tests need ../shared/k8s)"
    if etcd_binary() is None:
        return "no etcd: `make system-packages` installs Debian's etcd-server"
    if not shutil.which("openssl"):
        return "no openssl to make the ServiceAccount signing key"
    return None


def unpack(directory: Path) -> dict[str, Path]:
    """Decompress the kube binaries into `directory` (executable); name → path."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in KUBE_BINARIES:
        target = directory / name
        with lzma.open(SHARED_K8S / f"{name}.xz") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, length=1 << 20)
        target.chmod(0o755)
        paths[name] = target
    return paths
