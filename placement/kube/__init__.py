"""Talking to clusters: the only package that imports `kubernetes` (in `client`), plus the reader
(`read`) and the scenario export, both written against the small `ClusterApi` protocol (`api`)."""
