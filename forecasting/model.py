"""`Forecaster`: one global quantile gradient-boosting model over every series, conformally calibrated.

How it works (all series at once, no per-series loop in the hot path):
1. Put the series on the `freq` grid (gaps stay NaN) and divide out declared events.
2. Move series to model space, z = log1p(y / series mean) (`features.to_model_space`), and add
   copies of a `shift_fraction` of them with a persistent step change, so the model learns that
   level shifts last. Build rows (series, origin, horizon) — a *direct* multi-horizon model, so
   no recursion — with seasonal lags, rolling statistics and calendar features
   (`features.FeatureBuilder`); the target is the move from the current level. Rows are
   subsampled to `max_train_rows`, every series weighted equally.
3. Fit one `HistGradientBoostingRegressor(loss="quantile")` per quantile on rows whose target is
   older than the last `calibration_days`. On those held-out rows pick, per series, how much of
   the predicted move to keep (`_persistence_weights`), then compute split-conformal offsets (the
   q-quantile of `y − ŷ_q`) so each quantile covers what it claims to.
4. Series with less than `min_history_days` of samples (or only zeros) get seasonal-naive
   forecasts instead.
Forecasts are clipped at zero for series that never went negative, then multiplied by any
declared event covering the forecast slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ForecastError, NotFittedError
from forecasting.events import Event, multipliers
from forecasting.features import FeatureBuilder, Panel, from_model_space, to_model_space, to_panel
from forecasting.frame import DS, UNIQUE_ID, Y, quantile_column, regularize, steps_per_day, to_step
from forecasting.naive import seasonal_naive


def _check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    values = sorted({round(float(q), 6) for q in quantiles} | {0.5})
    for q in values:
        quantile_column("check", q)  # raises ForecastError naming a bad quantile
    return tuple(values)


class Forecaster:
    """A global direct quantile forecaster for many traffic series (see the module docstring).

    `fit(df)` takes a long frame `unique_id, ds, y`; `predict(h)` returns `unique_id, ds,
    <alias>` (the median) plus `<alias>-lo-NN` / `<alias>-hi-NN` per other quantile
    (`frame.quantile_column`). The median is always forecast, whatever `quantiles` says.
    """

    def __init__(
        self,
        *,
        freq: str | pd.Timedelta = "30min",
        horizon: int = 48,
        quantiles: Sequence[float] = (0.5, 0.95),
        alias: str = "GlobalGBM",
        events: Sequence[Event] = (),
        min_history_days: float = 2.0,
        calibration_days: float = 2.0,
        max_history_days: float = 91.0,
        max_train_rows: int = 100_000,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        shift_fraction: float = 0.3,
        random_state: int = 0,
    ) -> None:
        if horizon < 1:
            raise ForecastError(f"horizon={horizon!r} must be at least 1 slot")
        self.step = to_step(freq)
        self.season = steps_per_day(self.step)
        self.freq = freq
        self.horizon = int(horizon)
        self.quantiles = _check_quantiles(quantiles)
        self.alias = alias
        self.events = tuple(events)
        self.min_history_days = min_history_days
        self.calibration_days = calibration_days
        self.max_history_days = max_history_days
        self.max_train_rows = max_train_rows
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.shift_fraction = shift_fraction
        self.random_state = random_state
        self._fitted: dict[str, Any] | None = None

    # ------------------------------------------------------------------ public
    @property
    def columns(self) -> list[str]:
        """The forecast columns `predict` returns, in quantile order."""
        return [quantile_column(self.alias, q) for q in self.quantiles]

    @property
    def fallback_ids(self) -> tuple[str, ...]:
        """Series forecast by seasonal-naive because their history was too short (or all zero)."""
        state = self._state()
        return tuple(str(i) for i in state["panel"].ids[~state["use_model"]])

    @property
    def offsets(self) -> dict[float, float]:
        """The conformal offsets added to each quantile, in model space (log1p of y / series mean)."""
        state = self._state()
        return dict(zip(self.quantiles, map(float, state["offsets"]), strict=True))

    def fit(self, df: pd.DataFrame) -> Forecaster:
        """Fit on every series of `df` (long frame); returns self."""
        frame = regularize(df, self.step)
        frame = frame[frame[Y].notna().groupby(frame[UNIQUE_ID]).transform("any")]
        if frame.empty:
            raise ForecastError("no series with at least one sample to fit on")
        if self.events:
            frame = frame.assign(
                **{Y: frame[Y] / multipliers(self.events, frame[UNIQUE_ID].to_numpy(), frame[DS].to_numpy())}
            )
        panel = to_panel(frame, self.step, max_steps=int(self.max_history_days * self.season))
        counts = np.isfinite(panel.values).sum(axis=1)
        nonzero = (np.nan_to_num(panel.values) != 0).any(axis=1)  # an idle series stays at zero
        use_model = (counts >= self.min_history_days * self.season) & nonzero
        state: dict[str, Any] = {"panel": panel, "use_model": use_model, "offsets": np.zeros(len(self.quantiles))}
        state["nonnegative"] = ~(np.nan_to_num(panel.values, nan=0.0) < 0).any(axis=1)
        if use_model.any():
            state.update(self._fit_model(_subpanel(panel, use_model)))
            if state.get("models") is None:
                state["use_model"] = np.zeros_like(use_model)
        self._fitted = state
        return self

    def predict(self, h: int | None = None) -> pd.DataFrame:
        """Forecast the next `h` slots (default: `horizon`) after each series' last sample."""
        state = self._state()
        h = self.horizon if h is None else int(h)
        if not 1 <= h <= self.horizon:
            raise ForecastError(
                f"h={h} must be between 1 and the horizon this model was built for ({self.horizon}); "
                "create the Forecaster with a larger horizon"
            )
        panel: Panel = state["panel"]
        n = len(panel.ids)
        forecasts = np.empty((n, h, len(self.quantiles)))
        use_model = state["use_model"]
        if use_model.any():
            forecasts[use_model] = self._predict_model(state, h)
        for i in np.flatnonzero(~use_model):
            forecasts[i] = seasonal_naive(panel.values[i], h, self.season, self.quantiles)
        rows = np.repeat(np.arange(n), h)
        cols = np.tile(np.arange(panel.n_steps, panel.n_steps + h), n)
        ds = panel.ds_ns(rows, cols).astype("datetime64[ns]")
        flat = forecasts.reshape(n * h, len(self.quantiles))
        flat = np.where(state["nonnegative"][rows, None], np.clip(flat, 0.0, None), flat)
        if self.events:
            flat = flat * multipliers(self.events, panel.ids[rows], ds)[:, None]
        out = pd.DataFrame({UNIQUE_ID: panel.ids[rows].astype(str), DS: ds})
        for k, column in enumerate(self.columns):
            out[column] = flat[:, k]
        return out

    # ----------------------------------------------------------------- private
    def _state(self) -> dict[str, Any]:
        if self._fitted is None:
            raise NotFittedError(type(self).__name__)
        return self._fitted

    def _fit_model(self, panel: Panel) -> dict[str, Any]:
        from sklearn.ensemble import HistGradientBoostingRegressor

        rng = np.random.default_rng(self.random_state)
        n_real = len(panel.ids)
        space, size, logged = to_model_space(_with_level_shifts(panel, rng, self.shift_fraction, self.season))
        builder = FeatureBuilder(space, season=self.season, horizon=self.horizon)
        calibration_from = space.n_steps - round(self.calibration_days * self.season)
        train, calib = self._sample_rows(space, rng, calibration_from)
        if len(train[0]) < 20 * len(builder.names()):
            return {"models": None}
        x_train, level_train = builder.rows(*train)
        y_train = builder.target(*train, level_train)
        x_train[:, ~np.isfinite(x_train).any(axis=0)] = 0.0  # e.g. 2-week lags of short histories
        models = []
        for q in self.quantiles:
            model = HistGradientBoostingRegressor(
                loss="quantile",
                quantile=q,
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=40,
                l2_regularization=1.0,
                early_stopping=False,
                random_state=self.random_state,
            )
            models.append(model.fit(x_train, y_train))
        offsets = np.zeros(len(self.quantiles))
        weights = np.ones(len(panel.ids))
        calib = tuple(c[calib[0] < n_real] for c in calib)  # calibrate on real series only
        if len(calib[0]) >= 50:
            x_cal, level_cal = builder.rows(*calib)
            y_cal = builder.target(*calib, level_cal)
            preds = np.stack([m.predict(x_cal) for m in models], axis=1)
            weights = _persistence_weights(calib[0], y_cal, preds[:, self.quantiles.index(0.5)], len(space.ids))
            preds += ((weights[calib[0]] - 1.0) * preds[:, self.quantiles.index(0.5)])[:, None]
            for k, q in enumerate(self.quantiles):
                offsets[k] = np.quantile(y_cal - preds[:, k], q)
        return {
            "models": models,
            "builder": builder,
            "offsets": offsets,
            "weights": weights,
            "size": size,
            "logged": logged,
        }

    def _sample_rows(
        self, panel: Panel, rng: np.random.Generator, calibration_from: int
    ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """Random (series, origin, horizon) rows with an observed target and ≥ a day of history,
        split by target slot into training (< calibration_from) and calibration rows."""
        mask = np.isfinite(panel.values)
        mask &= np.arange(panel.n_steps)[None, :] >= (panel.first + self.season)[:, None]
        series, target = np.nonzero(mask)
        if series.size == 0:
            empty = (np.zeros(0, dtype=np.int64),) * 3
            return empty, empty
        # Every series gets about the same number of rows, however long its history (a week-old
        # service counts as much as a year-old one): repeat short series' cells with more horizons.
        cells = np.bincount(series, minlength=len(panel.ids))
        wanted = 1.5 * self.max_train_rows / max(int((cells > 0).sum()), 1)
        reps = np.clip(np.ceil(wanted / np.maximum(cells, 1)), 1, self.horizon).astype(np.int64)
        per_cell = reps[series]
        series, target = np.repeat(series, per_cell), np.repeat(target, per_cell)
        horizon = rng.integers(1, self.horizon + 1, size=series.size)
        origin = target - horizon
        keep = origin >= panel.first[series] + self.season - 1
        series, origin, horizon, target = series[keep], origin[keep], horizon[keep], target[keep]
        weight = 1.0 / np.bincount(series, minlength=len(panel.ids))[series]
        in_train = target < calibration_from
        train = _subsample(
            (series[in_train], origin[in_train], horizon[in_train]), weight[in_train], self.max_train_rows, rng
        )
        calib = _subsample(
            (series[~in_train], origin[~in_train], horizon[~in_train]), weight[~in_train], self.max_train_rows // 3, rng
        )
        return train, calib

    def _predict_model(self, state: dict[str, Any], h: int) -> np.ndarray:
        builder: FeatureBuilder = state["builder"]
        n = int(state["use_model"].sum())
        rows = np.repeat(np.arange(n), h)
        origins = np.full(rows.size, builder.panel.n_steps - 1)
        horizons = np.tile(np.arange(1, h + 1), n)
        x, level = builder.rows(rows, origins, horizons)
        moves = np.stack([m.predict(x) for m in state["models"]], axis=1)
        median = moves[:, self.quantiles.index(0.5)]
        moves += ((state["weights"][rows] - 1.0) * median)[:, None] + state["offsets"][None, :]
        z = level[:, None] + np.sort(moves, axis=1)  # quantiles never cross
        return from_model_space(z, state["size"][rows], state["logged"][rows]).reshape(n, h, len(self.quantiles))


def _with_level_shifts(panel: Panel, rng: np.random.Generator, fraction: float, season: int) -> Panel:
    """The panel plus copies of a `fraction` of its series with a persistent step change (×0.4 to
    ×2.5 from a random slot on), appended after the real series: training rows that teach the
    model a level shift is a new normal, not a spike to revert."""
    n = len(panel.ids)
    k = round(fraction * n)
    if k == 0:
        return panel
    pick = rng.choice(n, size=k, replace=k > n)
    start = np.minimum(panel.first[pick] + 2 * season, panel.n_steps - 1)
    when = rng.integers(start, panel.n_steps)
    factor = np.exp(rng.uniform(np.log(0.4), np.log(2.5), size=k))
    after = np.arange(panel.n_steps)[None, :] >= when[:, None]
    shifted = np.where(after, panel.values[pick] * factor[:, None], panel.values[pick])
    return Panel(
        ids=np.concatenate([panel.ids, np.array([f"__shifted_{j}" for j in range(k)], dtype=object)]),
        values=np.concatenate([panel.values, shifted]),
        end_ns=np.concatenate([panel.end_ns, panel.end_ns[pick]]),
        first=np.concatenate([panel.first, panel.first[pick]]),
        step=panel.step,
    )


def _persistence_weights(series: np.ndarray, actual: np.ndarray, median: np.ndarray, n: int) -> np.ndarray:
    """Per series, how much of the model's predicted move away from the current level to keep.

    The target is "change from the current level", so weight w scales the median's move: 1 is
    the model as fitted, 0 is "stays at today's level" (persistence). For each series the weight
    in {1, .75, .5, .25, 0} with the least absolute error on its held-out rows wins (ties favour
    the model). This lets level-shifting series (CPU after a deploy) keep their new level while
    spiky ones keep the model's mean reversion.
    """
    grid = np.array([1.0, 0.75, 0.5, 0.25, 0.0])
    errors = np.zeros((n, grid.size))
    np.add.at(errors, series, np.abs(actual[:, None] - median[:, None] * grid[None, :]))
    return grid[np.argmin(errors, axis=1)]


def _subpanel(panel: Panel, keep: np.ndarray) -> Panel:
    return Panel(
        ids=panel.ids[keep],
        values=panel.values[keep],
        end_ns=panel.end_ns[keep],
        first=panel.first[keep],
        step=panel.step,
    )


def _subsample(
    rows: tuple[np.ndarray, ...], weight: np.ndarray, limit: int, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """At most `limit` rows, drawn without replacement with probability ∝ `weight`."""
    if rows[0].size <= limit:
        return rows
    pick = np.sort(rng.choice(rows[0].size, size=limit, replace=False, p=weight / weight.sum()))
    return tuple(r[pick] for r in rows)
