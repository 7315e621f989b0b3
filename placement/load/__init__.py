"""Inputs: scenario YAML -> Scenario, the catalog for a scenario, demand resolution."""
