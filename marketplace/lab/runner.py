"""Running an experiment: for each scenario, the seeded workload in both styles on the running stack, then the
measurements.

Orders are placed and paid through Orders' services, as the storefront does, tagged with the experiment; the
lab's vendors' staff (played here) accept every notification as soon as it shows, but in vendor-silent, where
one vendor never does. A scenario ends when every order has settled (accepted by all its vendors, or
cancelled) and its fault has run its course, or ``settle_timeout`` seconds after the last order was placed.
"""

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from marketplace.lab import measure, records, report, workload
from marketplace.lab.faults import ScenarioFaults
from marketplace.lab.models import Experiment
from marketplace.lab.scenarios import SCENARIOS, SILENT_VENDOR, VENDOR_TIMEOUT, VENDORS
from messaging import controls, selectors
from orders import payment_gateway
from orders import selectors as orders_selectors
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, order_place
from vendors import selectors as vendors_selectors
from vendors.services import NotificationStateError, lab_vendors_ensure, notification_accept

TICK = 0.05  # seconds between looks at the clock while orders are being placed on time
STAFF_EVERY = 0.25  # seconds between the vendors' staff's rounds, and between looks while orders settle
CATALOG_WAIT = 60  # seconds for the lab's products to reach Orders' catalog
CONTEXTS = ("orders", VENDORS)

Echo = Callable[[str], None]


class LabError(Exception):
    """The experiment cannot run (or go on); the message says why and what to do."""


def experiment_run(experiment: Experiment, *, echo: Echo = lambda line: None) -> Experiment:
    """Run every scenario of ``experiment`` in turn, recording progress and results; returns it ended."""
    experiment.status, experiment.started_at = Experiment.Status.RUNNING, timezone.now()
    experiment.save(update_fields=["status", "started_at"])
    try:
        _preflight()
        records.experiment_progress(experiment, phase="preparing", note="Stocking the lab's vendors")
        catalog = _lab_catalog(experiment)
        results = []
        for number, name in enumerate(experiment.scenarios, 1):
            run = ScenarioRun(experiment, name, number=number, catalog=catalog)
            results.append(run.run(echo))
            experiment.results = {"scenarios": results}
            Experiment.objects.filter(pk=experiment.pk).update(results=experiment.results)
    except (KeyboardInterrupt, records.ExperimentStopped) as stopped:
        error = str(stopped) or "Stopped before the end."
        records.experiment_end(experiment, status=Experiment.Status.INTERRUPTED, error=error)
        raise
    except Exception as error:
        said = str(error) if isinstance(error, LabError) else f"{type(error).__name__}: {error}"
        records.experiment_end(experiment, status=Experiment.Status.FAILED, error=said)
        raise
    records.experiment_end(experiment, status=Experiment.Status.FINISHED)
    return experiment


@dataclass(frozen=True)
class LabCatalog:
    product_ids: list[int]
    vendor_ids: list[int]
    silent_vendor: int


class ScenarioRun:
    def __init__(self, experiment: Experiment, name: str, *, number: int, catalog: LabCatalog):
        parameters = experiment.parameters
        self.experiment, self.name, self.number = experiment, name, number
        self.scenario = SCENARIOS[name]
        setting = self.scenario.setting
        self.settings = {setting.name: parameters["settings"][setting.name]} if setting else {}
        self.count, self.rate = parameters["orders"], parameters["rate"]
        self.settle_timeout = parameters["settle_timeout"]
        self.carts = workload.carts(seed=parameters["seed"], count=self.count, product_ids=catalog.product_ids)
        self.phases = [workload.STYLES] if parameters["schedule"] == "interleaved" else [(s,) for s in workload.STYLES]
        silent = catalog.silent_vendor if name == "vendor-silent" else None
        self.staffed_vendors = [vendor_id for vendor_id in catalog.vendor_ids if vendor_id != silent]
        self.vendor_timeout = self.settings.get("vendor_timeout", VENDOR_TIMEOUT)
        self.tags = {style: experiment.tag(name, style) for style in workload.STYLES}
        self.placed: dict[str, list] = {style: [] for style in workload.STYLES}
        self.next_staff_round = 0.0

    def run(self, echo: Echo) -> dict:
        title = self.scenario.title(self.settings)
        started = timezone.now()
        echo(f"{title}: {self.count} orders per style at {self.rate:g}/s, {self.experiment.parameters['schedule']}")
        faults = ScenarioFaults(self.name, self.settings, actor=f"lab:experiment-{self.experiment.pk}")
        try:
            for styles in self.phases:
                self._phase(styles, faults, echo)
        finally:
            faults.end()
        self._progress("measuring", note="")
        event, command = (measure.style_numbers(tag=self.tags[style], style=style) for style in workload.STYLES)
        table = report.rows(event, command)
        return {
            "name": self.name,
            "title": title,
            "settings": self.settings,
            "orders_per_style": self.count,
            "started_at": started.isoformat(),
            "finished_at": timezone.now().isoformat(),
            "rows": [row.as_json() for row in table],
            "findings": report.findings(title, event, command, table),
            "charts": {key: _curves(attribute, event, command) for key, _label, attribute in report.LATENCY_ROWS},
            "styles": {"event": event.as_json(), "command": command.as_json()},
        }

    def _phase(self, styles: tuple[str, ...], faults: ScenarioFaults, echo: Echo) -> None:
        plan = workload.placements(count=self.count, rate=self.rate, styles=styles)
        faults.begin(placing_seconds=self.count / self.rate)
        begun, due = time.monotonic(), 0
        self._progress("placing", note=faults.note(0))
        while due < len(plan):
            elapsed = time.monotonic() - begun
            faults.tick(elapsed)
            while due < len(plan) and plan[due].at <= elapsed:
                self._place(plan[due])
                due += 1
            self._staff_round()
            self._progress("placing", note=faults.note(elapsed), throttle=True)
            time.sleep(TICK)
        placed_at = time.monotonic()
        echo(f"  placed {sum(len(ids) for ids in self.placed.values())} orders; settling")
        while True:
            elapsed = time.monotonic() - begun
            faults.tick(elapsed)
            self._staff_round()
            settled = self._settled(styles)
            self._progress("settling", note=faults.note(elapsed), throttle=True, settled=settled)
            waiting = settled < sum(len(self.placed[style]) for style in styles)
            if not waiting and faults.over(elapsed):
                break
            if time.monotonic() - placed_at > self.settle_timeout:
                echo(f"  {self.settle_timeout} s after the last order, some are still waiting: measured as they are")
                break
            time.sleep(STAFF_EVERY)  # no order to place on time now: look as often as the staff do
        faults.end()

    def _place(self, placement: workload.Placement) -> None:
        index, style = placement.index, placement.style
        order = order_place(
            customer_name=f"Lab customer {index + 1}",
            customer_email=f"lab-customer-{index + 1}@example.com",
            lines=[LineRequest(product_id=pid, quantity=quantity) for pid, quantity in self.carts[index].lines],
            experiment=self.tags[style],
        )
        order_pay(
            order_id=order.pk,
            card_number=payment_gateway.SUCCEEDS,
            style=style,
            vendor_timeout_seconds=self.vendor_timeout,
        )
        self.placed[style].append(order.pk)

    def _staff_round(self) -> None:
        """The lab's vendors' staff accept what they were notified of (the silent vendor's never do)."""
        if time.monotonic() < self.next_staff_round:
            return
        self.next_staff_round = time.monotonic() + STAFF_EVERY
        order_ids = [order_id for ids in self.placed.values() for order_id in ids]
        waiting = vendors_selectors.notifications_to_accept(order_ids=order_ids, vendor_ids=self.staffed_vendors)
        for notification_id in waiting:
            with contextlib.suppress(NotificationStateError):  # cancelled meanwhile (its order timed out)
                notification_accept(notification_id=notification_id, actor="lab")

    def _settled(self, styles: tuple[str, ...]) -> int:
        total = 0
        for style in styles:
            counts = orders_selectors.experiment_status_counts(experiment=self.tags[style])
            total += sum(n for status, n in counts.items() if status in measure.SETTLED)
        return total

    def _progress(self, phase: str, *, note: str, throttle: bool = False, settled: int | None = None) -> None:
        last = self.experiment.progress.get("beat")
        if throttle and last and (timezone.now() - datetime.fromisoformat(last)).total_seconds() < records.BEAT_SECONDS:
            return
        progress = {
            "phase": phase,
            "scenario": self.name,
            "scenario_title": self.scenario.title(self.settings),
            "scenario_number": self.number,
            "scenarios": len(self.experiment.scenarios),
            "placed": sum(len(ids) for ids in self.placed.values()),
            "orders": self.count * len(workload.STYLES),
            "note": note,
        }
        if settled is not None:
            progress["settled"] = settled
        records.experiment_progress(self.experiment, **progress)


def _curves(attribute: str, *numbers: measure.StyleNumbers) -> dict:
    """Latency by percentile (0..100), one series per style, for the page's chart."""
    return {"x": list(range(measure.CURVE_POINTS)), **{n.style: n.curve(getattr(n, attribute)) for n in numbers}}


def _preflight() -> None:
    """Refuse what would make the two styles' numbers mean nothing: no workers, a fault or a pause already set."""
    now = timezone.now()
    if not any(p["kind"] == "cluster" and p["live"] for p in selectors.processes(now=now)):
        raise LabError("No worker cluster is running: start the workers first (make run starts them).")
    fault = controls.fault_settings().get(VENDORS)
    if fault is not None and fault.is_active:
        raise LabError(
            f"The fault lab is set for vendors ({fault}): clear it first (python manage.py fault_lab vendors "
            "--clear), so that the scenario's fault is the only one."
        )
    paused = [row.handler for row in selectors.paused_handlers() if row.context in CONTEXTS]
    if paused:
        raise LabError(f"Paused handlers would hold the orders back: resume {', '.join(paused)} first.")


def _lab_catalog(experiment: Experiment) -> LabCatalog:
    """The lab's vendors, made and stocked, once their products are in Orders' catalog with stock enough."""
    vendors = lab_vendors_ensure()
    product_ids = sorted(pid for vendor in vendors for pid in vendor.product_ids)
    parameters = experiment.parameters
    needed = parameters["orders"] * len(workload.STYLES) * workload.MAX_QUANTITY * len(parameters["scenarios"])
    deadline = time.monotonic() + CATALOG_WAIT
    while True:
        stock = {product_id: stock for product_id, _vendor, stock in orders_selectors.lab_catalog()}
        if all(stock.get(pid, 0) >= needed for pid in product_ids):
            break
        if time.monotonic() > deadline:
            raise LabError(
                f"The lab's products have not reached Orders' catalog with stock enough after {CATALOG_WAIT} s: "
                "are the workers running (make run starts them)?"
            )
        records.experiment_progress(experiment, phase="preparing", note="Waiting for the lab's products in the catalog")
        time.sleep(0.2)
    silent = next(vendor.vendor_id for vendor in vendors if vendor.name == SILENT_VENDOR)
    return LabCatalog(product_ids, [vendor.vendor_id for vendor in vendors], silent)
