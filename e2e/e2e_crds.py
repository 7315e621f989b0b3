"""The Karpenter CRDs the e2e suite serves, read from ../shared/data/schemas (absent: tests skip)."""

from __future__ import annotations

from pathlib import Path

SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "schemas"
NODEPOOL_V1 = SCHEMAS / "karpenter-v1" / "karpenter.sh_nodepools.yaml"
# version -> (CRD file, plural, kind)
OLDER = {
    "v1beta1": (SCHEMAS / "karpenter-v1beta1" / "karpenter.sh_nodepools.yaml", "nodepools", "NodePool"),
    "v1alpha5": (SCHEMAS / "karpenter-v1alpha5" / "karpenter.sh_provisioners.yaml", "provisioners", "Provisioner"),
}
