"""`placement prices refresh` for 3 clouds × 10 regions against local endpoints, then with a fault.

    .venv/bin/python bench/refresh_local.py [--aws-types 400] [--azure-sizes 250] [--gcp-families 12]

The acceptance run of the live-price refresh, end to end through the real CLI (a subprocess, so the
progress bar is the one users see): a local HTTP server (pytest-httpserver, threaded) answers like the
AWS Price List Query API and EC2 ``DescribeSpotPriceHistory``, the Azure Retail Prices API and the GCP
Cloud Billing Catalog API for the ten default regions of each cloud, with realistic page counts
(AWS: on-demand pages of 100 products and spot pages of 120 points; Azure: pages of 100 items; GCP:
pages of SKUs for every region at once). The CLI is pointed at it through the variables users have
(``AWS_ENDPOINT_URL_*``, ``PLACEMENT_AZURE_PRICES_URL``, ``PLACEMENT_GCP_BILLING_URL``).

1. A clean refresh must exit 0, cover every (cloud, region) and write the cache.
2. The same refresh with one Azure page failing on every attempt must exit non-zero, name the source,
   region and page, and leave the cache file byte-identical (SHA-256 before and after).

Prints the CLI's own summary and PASS/FAIL per check; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ comes first on sys.path, where bench/pricing.py would shadow the `pricing`
# package. tests/ is added for the hand-written API pages the tests serve (tests/builders.py).
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the packages first: tests/pricing/ must not shadow them

from builders import Fault, LocalClouds  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402

from pricing.catalog import Catalog  # noqa: E402

AWS_FAMILIES = (
    "m5",
    "c5",
    "r5",
    "m6i",
    "c6i",
    "r6i",
    "m7i",
    "c7i",
    "r7i",
    "t3",
    "m6g",
    "c6g",
    "r6g",
    "m7g",
    "c7g",
    "r7g",
    "m6a",
    "c6a",
    "r6a",
    "m7a",
    "c7a",
    "r7a",
    "i4i",
    "x2idn",
    "z1d",
)
AWS_SIZES = (
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
    "metal",
    "medium",
    "small",
    "micro",
    "nano",
    "3xlarge",
)
GCP_FAMILIES = {
    "n2": "N2",
    "n2d": "N2D AMD",
    "e2": "E2",
    "c2": "Compute optimized",
    "n1": "N1 Predefined",
    "c3": "C3",
    "c3d": "C3D",
    "c4": "C4",
    "t2d": "T2D AMD",
    "t2a": "T2A Arm",
    "n4": "N4",
    "c2d": "C2D AMD",
}
FAULT_REGION, FAULT_PAGE, ATTEMPTS = "japaneast", 3, 2


def _azure_sizes(count: int) -> list[str]:
    sizes = [
        f"Standard_{series}{n}{features}_v{version}"
        for version in (5, 6, 4, 3)
        for series in ("D", "E")
        for features in ("s", "ds", "as", "ads", "ls", "lds", "ps", "pds")
        for n in (2, 4, 8, 16, 32, 48, 64, 96)
    ]
    return sizes[:count]


def _refresh(env: dict[str, str]) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, seconds) of ``placement prices refresh --progress``; stderr is also
    echoed as it comes, so the progress bar shows live in a terminal."""
    command = [
        str(Path(sys.executable).parent / "placement"),
        "prices",
        "refresh",
        "--progress",
        "--attempts",
        str(ATTEMPTS),
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []
    assert process.stderr is not None and process.stdout is not None
    for line in process.stderr:
        sys.stderr.write(line)
        err_lines.append(line)
    out = process.stdout.read()
    code = process.wait()
    return code, out, "".join(err_lines), time.perf_counter() - start


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aws-types", type=int, default=400, help="instance types per AWS region (default 400)")
    parser.add_argument("--azure-sizes", type=int, default=250, help="VM sizes per Azure region (default 250)")
    parser.add_argument("--gcp-families", type=int, default=12, help="GCP machine families (default 12)")
    args = parser.parse_args(argv)
    aws_types = [f"{f}.{s}" for f in AWS_FAMILIES for s in AWS_SIZES][: args.aws_types]
    families = dict(list(GCP_FAMILIES.items())[: args.gcp_families])

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per page
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    checks: list[tuple[str, bool]] = []
    try:
        local = LocalClouds(
            server,
            aws_types=aws_types,
            azure_sizes=_azure_sizes(args.azure_sizes),
            gcp_families=families,
            aws_per_page=100,
            azure_per_page=100,
            gcp_per_page=150,
        )
        pages = local.pages
        print(
            f"== local endpoints on {server.url_for('/')}: 3 clouds × 10 regions; pages per refresh: "
            f"AWS {pages['aws']} per region, Azure {pages['azure']} per region, GCP {pages['gcp']} in all =="
        )
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "catalog.json"
            env = {**os.environ, **local.env(tmp)}

            print("\n-- 1. clean refresh --")
            code, out, _, seconds = _refresh(env)
            print(out, end="")
            catalog = Catalog.load(cache) if cache.exists() else Catalog([])
            covered = {cloud: sum(1 for c, _ in catalog.regions() if c == cloud) for cloud in ("aws", "azure", "gcp")}
            print(f"exit {code} in {seconds:.1f}s; cache {len(catalog):,} offers; regions per cloud {covered}")
            checks.append(("clean refresh exits 0", code == 0))
            checks.append(("every cloud × region in the cache", covered == {"aws": 10, "azure": 10, "gcp": 10}))

            print(f"\n-- 2. Azure {FAULT_REGION} page {FAULT_PAGE} answers HTTP 503 on all {ATTEMPTS} attempts --")
            before = _sha256(cache) if cache.exists() else ""
            local.azure.script[f"{FAULT_REGION}:{FAULT_PAGE}"][:0] = [Fault(503)] * ATTEMPTS
            code, _, err, seconds = _refresh(env)
            after = _sha256(cache) if cache.exists() else ""
            named = f"azure:retail-prices: region {FAULT_REGION}: page {FAULT_PAGE}: HTTP 503" in err
            print(f"exit {code} in {seconds:.1f}s; cache sha256 before {before[:16]}… after {after[:16]}…")
            checks.append(("faulted refresh exits non-zero", code != 0))
            checks.append(("the error names source, region and page", named))
            checks.append(("cache byte-identical", bool(before) and before == after))
    finally:
        server.stop()

    print()
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
