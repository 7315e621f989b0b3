"""The optimiser: candidates -> pricing -> formulation -> MILP backends -> solve() -> Plan (pure)."""
