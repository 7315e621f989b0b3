"""Plan -> per-cluster changes: pod scheduling, HPA floors, NodePools, audit record (pure)."""
