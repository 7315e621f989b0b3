"""Facts of place: regions, jurisdictions, latency, egress (pure)."""
