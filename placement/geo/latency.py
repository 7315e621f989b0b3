"""Round-trip time between a user region and a cluster: measured when given, else estimated from distance.

The estimate (DESIGN.md, "Latency when no matrix is given")::

    rtt_ms = BASE_RTT_MS + 2 × great_circle_km × PATH_INFLATION / FIBRE_KM_PER_MS

Light in fibre covers ~200 km per ms (refractive index ≈ 1.47); real routes are longer than the
great circle (PATH_INFLATION) and every path pays switching and last-hop time (BASE_RTT_MS).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
FIBRE_KM_PER_MS = 200.0  # one way, speed of light in glass

# Calibrated by bench/latency_calibration.py against the Skyplane inter-region ping grid
# (skyplane-project/skyplane profiles/latency.csv, 2022-04: 4,692 PREMIUM-tier directed pairs
# between 69 AWS/Azure/GCP regions, 0–18,762 km; coordinates from cloud_region_locations_2025-01.csv).
# Least-absolute-error fit of avg RTT on distance: inflation 1.605, base 9.67 ms (rounded below);
# median abs error 19.9 ms, median relative error 17 %, 66 % of pairs within ±25 %, p90 error 75 ms
# (the tail is routes that detour, e.g. Asia ↔ South America/Africa). Where it matters, measure
# and give `latency.matrixMs`.
PATH_INFLATION = 1.6
BASE_RTT_MS = 9.7


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km between two points given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def rtt_from_distance_ms(
    distance_km: float, *, path_inflation: float = PATH_INFLATION, base_ms: float = BASE_RTT_MS
) -> float:
    """The model's RTT for a great-circle distance (the constants are overridable for calibration)."""
    return base_ms + 2.0 * distance_km * path_inflation / FIBRE_KM_PER_MS


def estimate_rtt_ms(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Estimated RTT in ms between two points (decimal degrees)."""
    return rtt_from_distance_ms(great_circle_km(lat1, lon1, lat2, lon2))


class LatencyModel:
    """RTT from a user region to a cluster: the measured matrix when it has the pair, else the estimate.

    `matrix_ms` is ``{user_region_name: {cluster_name: ms}}`` (a scenario's ``latency.matrixMs``);
    pairs it lacks fall back to `estimate_rtt_ms`.
    """

    __slots__ = ("_matrix",)

    def __init__(self, matrix_ms: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self._matrix: Mapping[str, Mapping[str, float]] = MappingProxyType(
            {user: MappingProxyType(dict(row)) for user, row in (matrix_ms or {}).items()}
        )

    @property
    def matrix_ms(self) -> Mapping[str, Mapping[str, float]]:
        return self._matrix

    def measured_ms(self, user_name: str, cluster_name: str) -> float | None:
        """The measured RTT of a pair, or None when the matrix does not have it."""
        row = self._matrix.get(user_name)
        if row is None:
            return None
        value = row.get(cluster_name)
        return None if value is None else float(value)

    def rtt_ms(
        self,
        user_name: str,
        user_lat: float,
        user_lon: float,
        cluster_name: str,
        cluster_lat: float,
        cluster_lon: float,
    ) -> float:
        """Measured RTT if the matrix has (user, cluster), else the distance estimate."""
        measured = self.measured_ms(user_name, cluster_name)
        if measured is not None:
            return measured
        return estimate_rtt_ms(user_lat, user_lon, cluster_lat, cluster_lon)


__all__ = [
    "BASE_RTT_MS",
    "FIBRE_KM_PER_MS",
    "PATH_INFLATION",
    "LatencyModel",
    "estimate_rtt_ms",
    "great_circle_km",
    "rtt_from_distance_ms",
]
