"""Writes notebooks/what_if.ipynb (run: .venv/bin/python notebooks/build_what_if.py).

The notebook runs offline on the packaged demo fleet and embedded prices, imports only the public
API (`placement.whatif`, `placement.simulate`), and draws with matplotlib's Agg backend.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS: list[tuple[str, str]] = [
    ("md", """# What if? The planner on the demo fleet

Replays three days of seeded traffic, spot prices and spot interruptions on the packaged demo fleet
(3 clouds, 11 clusters, 24 workloads) through five strategies — this planner, static on-demand,
reactive autoscaling, spot-first (Karpenter-like) and the hindsight oracle — then asks "what if":
Pareto frontiers of cost against latency and spot risk, and a region outage with a price shock.
Everything runs offline on embedded prices in well under two minutes."""),
    ("code", """import io
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Image, display

from placement import scaleout
from placement import simulate as sim
from placement import whatif



def show(fig):
    # The Agg backend draws off-screen: show the figure as a PNG output, then free it.
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    display(Image(data=buffer.getvalue()))


started = time.perf_counter()
scenario = whatif.demo_scenario()
catalog = whatif.scenario_catalog(scenario)
print(f"{len(scenario.workloads)} workloads, {len(scenario.clusters)} clusters, {len(catalog):,} offers")"""),
    ("md", """## Replay: 72 hours, five strategies

Traffic peaks in each workload's users' evening; spot prices follow a seeded random walk per
region; spot pools are reclaimed at 5× the catalog's interruption rates (a bad week), and a
declared 3× campaign hits the shop on day two. The planner re-plans every 6 hours."""),
    ("code", """HOURS = 72
traffic = sim.synthetic_traffic(scenario, hours=HOURS, history_h=7 * 24, seed=1)
prices = sim.PriceHistory.synthetic_spot(catalog, hours=HOURS, seed=1, step_h=6)
campaign = sim.TrafficEvent(start_h=40, hours=4, multiplier=3.0, ramp_h=1, name="campaign",
                            workloads=("shop/frontend", "shop/catalog", "shop/cart", "shop/checkout"))
config = sim.SimulationConfig(interruptions=sim.InterruptionModel(seed=1, rate_multiplier=5))
result = sim.simulate(scenario, traffic, prices, sim.default_strategies(replan_every_h=6, time_limit_s=3),
                      config=config, events=[campaign])
result.check_oracle_bound()  # raises if any strategy cost less than the oracle
table = pd.DataFrame(result.rows()).set_index("strategy")
table"""),
    ("code", """hourly = result.hourly_frame().pivot(index="hour", columns="strategy", values="total_usd")
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4))
hourly.plot(ax=left, title="cost per hour ($)")
hourly.cumsum().plot(ax=right, title="cumulative cost ($)")
left.axvspan(campaign.start_h, campaign.start_h + campaign.hours, color="orange", alpha=0.15)
fig.tight_layout()
show(fig)"""),
    ("md", """## Where the savings come from

A waterfall from static on-demand to the oracle: right-sizing (reactive), spot (spot-first),
placement across clouds ahead of forecast demand (this planner), and what perfect foresight would
add (the oracle)."""),
    ("code", """order = ["static", "reactive", "spot-first", "placement", "oracle"]
costs = [result[name].cost_usd for name in order]
steps = [costs[0]] + [b - a for a, b in zip(costs, costs[1:])]
bottoms = [0.0] + [min(a, b) for a, b in zip(costs, costs[1:])]
fig, ax = plt.subplots(figsize=(8, 4))
ax.bar(order, [abs(s) for s in steps], bottom=bottoms,
       color=["grey"] + ["seagreen" if s < 0 else "indianred" for s in steps[1:]])
for i, (name, cost) in enumerate(zip(order, costs)):
    ax.annotate(f"${cost:,.0f}", (i, cost), ha="center", va="bottom")
ax.set_ylabel("cost over the run ($)")
ax.set_title("savings waterfall")
show(fig)
{name: f"{result.savings_vs(name):.1%}" for name in order}"""),
    ("md", """## Pareto frontiers

Cost against latency (every latency rule scaled) and against spot risk (expected spot replicas
reclaimed per day, by risk aversion). `whatif.pareto` keeps the plans nothing else beats on both."""),
    ("code", """latency = whatif.latency_frontier(scenario, catalog, factors=(0.8, 1.0, 1.5, 2.0, 3.0), time_limit_s=3)
risk = whatif.risk_frontier(scenario, catalog, aversions=(0.0, 10.0, 20.0, 40.0, 100.0), time_limit_s=3)
fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
for ax, points, x, label in ((a, latency, lambda p: p.p95_rtt_ms, "p95 RTT (ms)"),
                             (b, risk, lambda p: p.reclaims_per_day, "spot replicas reclaimed per day")):
    ax.scatter([x(p) for p in points], [p.hourly_usd for p in points], color="grey")
    front = whatif.pareto(points, x=x, y=lambda p: p.hourly_usd)
    ax.plot([x(p) for p in front], [p.hourly_usd for p in front], "o-", color="tab:blue")
    for p in points:
        ax.annotate(str(p.value), (x(p), p.hourly_usd), fontsize=8)
    ax.set_xlabel(label)
    ax.set_ylabel("$/h")
a.set_title("cost vs latency (latency rules × factor)")
b.set_title("cost vs spot risk (risk aversion)")
fig.tight_layout()
show(fig)
pd.DataFrame([{"riskAversion": p.value, "$/h": round(p.hourly_usd, 3), "spot share": round(p.spot_share, 3),
               "reclaims/day": round(p.reclaims_per_day, 3)} for p in risk])"""),
    ("md", """## The same sweep, fanned out

`placement.scaleout` maps the same pure functions over tasks: here the risk frontier above, point by
point. With `USE_RAY = False` the tasks run one after another in this kernel; `True` runs them on a
local Ray (`pip install 'placement[ray]'`; `runner_for(address="ray://head:10001")` joins a cluster).
Either way the points are the frontier's, in the same order, and each task reports its seconds — or,
for a failed point, why (the −150 % price shock below cannot be solved; the others still are)."""),
    ("code", """USE_RAY = False
with scaleout.runner_for(ray=USE_RAY) as runner:
    fanned = scaleout.risk_frontier(scenario, catalog, aversions=(0.0, 10.0, 20.0, 40.0, 100.0), time_limit_s=3,
                                    runner=runner)
    shocks = scaleout.sweep(scenario, catalog, [-150.0, 0.0, 30.0], whatif.shock_prices, time_limit_s=3, runner=runner)
same = [round(p.hourly_usd, 6) for p in fanned.values()] == [round(p.hourly_usd, 6) for p in risk]
print(f"fanned-out frontier equals the sequential one: {same}")
for failed in shocks.failed:
    print(f"{failed.label} failed: {failed.error}")
pd.DataFrame([{"task": o.label, "seconds": round(o.seconds, 2), "$/h": round(o.value.hourly_usd, 3) if o.ok else None}
              for o in (*fanned.outcomes, *shocks.outcomes)])"""),
    ("md", """## Where the planner put things

The planner's placement in the last hour of the replay, as a table and as a map of clusters
(bubble size = replicas; blue on-demand, orange spot)."""),
    ("code", """last = result["placement"].placements[-1]
rows = [{"workload": w, "cluster": c, "on_demand": r.on_demand, "spot": r.spot}
        for w, clusters in last.items() for c, r in clusters.items()]
placed = pd.DataFrame(rows)
by_cluster = placed.groupby("cluster")[["on_demand", "spot"]].sum()
fig, ax = plt.subplots(figsize=(10, 5))
for name, row in by_cluster.iterrows():
    c = scenario.cluster(name)
    ax.scatter(c.lon, c.lat, s=20 * (row.on_demand + row.spot), color="tab:blue", alpha=0.4)
    ax.scatter(c.lon, c.lat, s=20 * row.spot, color="tab:orange", alpha=0.6)
    ax.annotate(name, (c.lon, c.lat), fontsize=8)
for u in scenario.user_regions:
    ax.plot(u.lon, u.lat, "k^")
ax.set_xlim(-130, 150)
ax.set_ylim(-10, 65)
ax.set_title("placement by cluster (▲ user regions)")
show(fig)
placed.pivot_table(index="workload", columns="cluster", values=["on_demand", "spot"], aggfunc="sum", fill_value=0)"""),
    ("md", """## What if gcp europe-west4 goes down and AWS raises prices 30 %?"""),
    ("code", """before = whatif.plan(scenario, catalog, time_limit_s=5)
after = whatif.plan(whatif.outage(scenario, cloud="gcp", region="europe-west4"),
                    whatif.price_shock(catalog, 30, cloud="aws"), time_limit_s=5)
diff = whatif.compare(before, after)
print(f"$/h {diff.before_hourly_usd:.2f} → {diff.after_hourly_usd:.2f} ({diff.delta_fraction:+.1%}); "
      f"{len(diff.changes)} assignments change; unplaced after: {list(diff.unplaced_after) or 'none'}")
pd.DataFrame([{"workload": c.workload, "cluster": c.cluster, "before od/spot": f"{c.before[0]}/{c.before[1]}",
               "after od/spot": f"{c.after[0]}/{c.after[1]}"} for c in diff.changes])"""),
    ("code", """elapsed = time.perf_counter() - started
print(f"notebook ran in {elapsed:.0f} s")
assert elapsed < 120, "the what-if notebook must run in under two minutes\""""),
]


def build() -> nbformat.NotebookNode:
    cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in CELLS]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


if __name__ == "__main__":
    target = Path(__file__).with_name("what_if.ipynb")
    nbformat.write(build(), target)
    print(f"wrote {target}")
