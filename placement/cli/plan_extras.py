"""`placement plan` extras: `--price-of FAMILIES` and `--slots H` (additive fields of Plan JSON).

`--price-of` re-solves one scenario per family through `placement.scaleout` (sequentially, or as Ray
tasks with `--ray` / `--ray-address`; the same prices either way).

Kept apart from `placement.cli.plan` so the plan command stays a thin parse → solve → print.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from placement.analysis.rules import FAMILIES, parse_families
from placement.cli.flags import add_ray_flags
from placement.errors import PlacementError

if TYPE_CHECKING:  # the solver-side modules load only when an extra is asked for
    from placement.analysis.price_of import RulePrice
    from placement.analysis.provisioning import ProvisioningReport
    from placement.analysis.time_slots import Schedule
    from placement.plan import Plan
    from placement.scenario import Scenario
    from pricing import Catalog


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--price-of",
        metavar="RULES",
        help="re-solve with each rule family relaxed and report what it costs, e.g. "
        f"residency,latency,minClusters,spot,capacity (known: {', '.join(FAMILIES)})",
    )
    parser.add_argument(
        "--slots",
        type=int,
        metavar="H",
        help="also plan H hourly slots of forecast demand as a schedule (default: planning.slots)",
    )
    parser.add_argument(
        "--max-moves-per-slot",
        type=int,
        metavar="N",
        help="churn limit between slots of the schedule (default: planning.maxMovesPerSlot)",
    )
    add_ray_flags(parser)


@dataclass(frozen=True, slots=True)
class PlanExtras:
    """What was asked for (validated before solving) and, once computed, the results."""

    families: tuple[str, ...] = ()
    slots: int | None = None
    max_moves_per_slot: int | None = None
    price_of: tuple[RulePrice, ...] = ()
    schedule: Schedule | None = None
    provisioning: ProvisioningReport | None = None
    ray: bool = False
    ray_address: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace, scenario: Scenario) -> PlanExtras:
        families = parse_families(args.price_of) if getattr(args, "price_of", None) is not None else ()
        slots = getattr(args, "slots", None)
        if slots is not None and not 1 <= slots <= 168:
            raise PlacementError(f"--slots must be between 1 and 168 hourly slots (got {slots})")
        per_slot = getattr(args, "max_moves_per_slot", None)
        if per_slot is not None and per_slot < 0:
            raise PlacementError(f"--max-moves-per-slot must be 0 or more (got {per_slot})")
        ray, address = bool(getattr(args, "ray", False)), getattr(args, "ray_address", None)
        if (ray or address) and not families:
            raise PlacementError("--ray runs the --price-of re-solves: add --price-of RULES")
        return cls(families, slots or scenario.planning.slots, per_slot, ray=ray, ray_address=address)

    def computed(
        self,
        scenario: Scenario,
        catalog: Catalog,
        plan: Plan,
        *,
        time_limit_s: float | None,
        backend: str,
        now: datetime | None = None,
    ) -> PlanExtras:
        price_of: tuple[RulePrice, ...] = ()
        schedule = None
        if self.families:
            from placement import scaleout

            with scaleout.runner_for(self.ray, address=self.ray_address) as runner:
                price_of = tuple(
                    scaleout.price_of_rules(
                        scenario,
                        catalog,
                        self.families,
                        base=plan,
                        time_limit_s=time_limit_s,
                        backend=backend,
                        runner=runner,
                    ).values()
                )
        if self.slots:
            from placement.analysis.time_slots import plan_schedule, schedule_start

            start = schedule_start(scenario, now or datetime.now(UTC))
            schedule = plan_schedule(
                scenario,
                catalog,
                start=start,
                slots=self.slots,
                max_moves_per_slot=self.max_moves_per_slot,
                time_limit_s=time_limit_s,
                backend=backend,
            )
        return PlanExtras(
            self.families,
            self.slots,
            self.max_moves_per_slot,
            price_of,
            schedule,
            self.provisioning,
            self.ray,
            self.ray_address,
        )

    @property
    def unplaced(self) -> bool:
        return bool(self.schedule and self.schedule.unplaced)

    def document(self, plan: Plan) -> dict[str, Any]:
        document = plan.to_json()
        if self.price_of:
            from placement.analysis.price_of import with_price_of

            document = with_price_of(document, self.price_of)
        if self.schedule is not None:
            from placement.analysis.time_slots import with_schedule

            document = with_schedule(document, self.schedule)
        if self.provisioning is not None:
            document = {**document, "provisioning": self.provisioning.to_json()}
        return document

    def json_text(self, plan: Plan) -> str:
        return json.dumps(self.document(plan), indent=2) + "\n"

    def yaml_text(self, plan: Plan) -> str:
        import yaml

        return yaml.safe_dump(self.document(plan), sort_keys=False)

    def table_text(self, *, color: bool) -> str:
        text = ""
        if self.provisioning is not None:
            text += self.provisioning.summary() + "\n"
            text += "".join(f"  violation: {v}\n" for v in self.provisioning.violations)
            text += "".join(f"  note: {n}\n" for n in self.provisioning.notes)
        if self.price_of:
            from placement.report.price_of import price_of_table_text

            text += price_of_table_text(self.price_of, color=color)
        if self.schedule is not None:
            from placement.report.time_slots import schedule_table_text

            text += schedule_table_text(self.schedule, color=color)
        return text
