"""The largest values a scenario may hold: past these a number is a typo, not a fleet (README "Bad input").

`replicas: 1000000000000` once planned billions of dollars an hour without a word. Each cap is far
above any real workload or cluster and far below what would overflow the solver; a value above it
is a problem naming the field, the value and the cap.
"""

from __future__ import annotations

MAX_REPLICAS = 100_000  # per workload: demand.replicas, a forecast's peak, minAvailable, current counts
MAX_CPU_PER_REPLICA = 1024.0  # cores (the largest VMs have ~900 vCPUs)
MAX_MEMORY_GIB_PER_REPLICA = 24 * 1024.0  # 24 TiB (the largest VMs have 24–32 TiB)
MAX_CLUSTER_CPU = 10_000_000.0  # capacity.cpu, cores
MAX_PODS_PER_NODE = 1_000  # maxPodsPerNode (kubelet default 110; AKS 250; EKS prefix delegation 737)
MAX_MIN_CLUSTERS = 1_000  # minClusters
MAX_LATENCY_MS = 10_000.0  # latencyMs and measured RTTs: 10 s
MAX_EGRESS_GB_PER_HOUR = 1_000_000.0  # egressGbPerHour: 1 PB an hour
MAX_HEADROOM = 10.0  # demand.headroom: +1000 %
MAX_TIME_LIMIT_S = 86_400.0  # planning.timeLimitSeconds: a day
MAX_RISK_AVERSION = 1_000.0  # planning.riskAversion
MAX_OVERHEAD_FACTOR = 100.0  # planning.overheadFactor
MAX_MOVES = 10_000_000  # planning.maxMoves / maxMovesPerSlot
