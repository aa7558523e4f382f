"""Each scenario, end to end, against a real django-q2 cluster: ``run_experiment`` places and pays tagged orders
of the lab's vendors in both styles, the cluster's workers deliver their messages (through the fault lab), the
lab's vendor staff accept, and the record holds what was measured."""

import json
import signal
from io import StringIO

import pytest
from django.core.management import call_command

from marketplace.lab import records
from marketplace.lab.models import Experiment
from marketplace.lab.scenarios import SILENT_VENDOR
from messaging import controls
from orders import selectors as orders_selectors
from orders.models import Order
from tests.processes import ManagedProcess, wait_until
from vendors.services import lab_vendors_ensure

pytestmark = pytest.mark.django_db(transaction=True)


def run(*arguments: str) -> dict:
    out = StringIO()
    call_command("run_experiment", *arguments, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def scenario_of(result: dict, name: str) -> tuple[dict, dict, dict]:
    scenario = next(s for s in result["results"]["scenarios"] if s["name"] == name)
    rows = {row["key"]: row for row in scenario["rows"]}
    return scenario, scenario["styles"], rows


def carts(result: dict, scenario: str, style: str) -> list[list[tuple[int, int]]]:
    """The carts of an experiment's orders, in the order they were placed."""
    orders = Order.objects.filter(experiment=f"lab-{result['id']}:{scenario}:{style}").order_by("created_at")
    return [sorted(order.lines.values_list("product_id", "quantity")) for order in orders.prefetch_related("lines")]


def assert_every_order_settled(styles: dict, orders: int) -> None:
    for numbers in styles.values():
        assert numbers["paid"] == numbers["orders"] == orders
        assert numbers["settled"] == orders and numbers["lost"] == 0 and numbers["stuck"] == 0


def test_baseline_settles_every_order_and_the_json_is_the_record(qcluster):
    result = run("--scenario", "baseline", "--orders", "4", "--rate", "8", "--seed", "5")
    scenario, styles, rows = scenario_of(result, "baseline")
    assert_every_order_settled(styles, 4)
    assert styles["event"]["failed_attempts"] == styles["command"]["failed_attempts"] == 0
    assert styles["event"]["cancelled"] == styles["command"]["cancelled"] == 0
    # command style: a NotifyVendor per vendor and its outcome back, on top of what event style sends
    assert styles["command"]["messages_per_order"] > styles["event"]["messages_per_order"]
    assert rows["messages"]["better"] == "event"
    assert all(v is not None for v in scenario["charts"]["first"]["event"])
    experiment = Experiment.objects.get(pk=result["id"])
    assert experiment.status == Experiment.Status.FINISHED and experiment.active is None
    assert json.loads(json.dumps(records.experiment_json(experiment))) == result
    assert not orders_selectors.recent_paid_orders(style="event", limit=10)  # the shop's own figures: untouched


def test_the_same_seed_gives_the_same_carts_in_both_styles_and_in_another_experiment(qcluster):
    first = run("--orders", "3", "--rate", "10", "--seed", "11")
    second = run("--orders", "3", "--rate", "10", "--seed", "11")
    placed = [[carts(result, "baseline", style) for style in ("event", "command")] for result in (first, second)]
    assert placed[0][0] == placed[0][1] == placed[1][0] == placed[1][1]
    assert len(placed[0][0]) == 3
    assert placed[0][0] != carts(run("--orders", "3", "--rate", "10", "--seed", "12"), "baseline", "event")


def test_vendors_down_command_style_tells_orders_event_style_does_not_and_nothing_is_lost(qcluster):
    result = run("--scenario", "vendors-down", "--down-seconds", "3", "--orders", "6", "--rate", "3", "--seed", "2")
    scenario, styles, rows = scenario_of(result, "vendors-down")
    assert scenario["title"] == "Vendors down 3 s"
    assert_every_order_settled(styles, 6)
    assert styles["event"]["told"] == 0 and rows["told"]["event"] == "none: Orders hears only of success"
    failed = styles["event"]["failed_attempts"] + styles["command"]["failed_attempts"]
    assert failed > 0, "orders paid while Vendors was down had attempts fail"
    if styles["command"]["told"]:
        assert scenario["findings"][0].startswith(
            f"Vendors down 3 s: command style told Orders of {styles['command']['told']}"
        )
    assert not controls.fault_settings()["vendors"].is_active  # restored


def test_flaky_vendors_fail_attempts_that_command_style_sees(qcluster):
    result = run("--scenario", "flaky", "--failure-rate", "50", "--orders", "6", "--rate", "6", "--seed", "3")
    _scenario, styles, rows = scenario_of(result, "flaky")
    assert_every_order_settled(styles, 6)
    assert styles["command"]["told"] > 0 and styles["command"]["failed_attempts"] >= styles["command"]["told"]
    assert rows["told"]["better"] == "command"
    assert not controls.fault_settings()["vendors"].is_active


def test_slow_vendors_make_every_notification_wait_the_latency(qcluster):
    result = run("--scenario", "slow", "--latency-ms", "300", "--orders", "4", "--rate", "4", "--seed", "4")
    _scenario, styles, _rows = scenario_of(result, "slow")
    assert_every_order_settled(styles, 4)
    for numbers in styles.values():
        assert numbers["first"]["p50"] >= 300
    assert not controls.fault_settings()["vendors"].is_active


def test_vendor_silent_cancels_exactly_the_orders_waiting_for_the_silent_vendor(qcluster):
    result = run("--scenario", "vendor-silent", "--vendor-timeout", "2", "--orders", "6", "--rate", "6", "--seed", "6")
    scenario, styles, rows = scenario_of(result, "vendor-silent")
    silent = next(v for v in lab_vendors_ensure() if v.name == SILENT_VENDOR)
    for style, numbers in styles.items():
        placed = carts(result, "vendor-silent", style)
        waiting_for_silent = sum(any(pid in silent.product_ids for pid, _ in cart) for cart in placed)
        assert numbers["cancelled"] == waiting_for_silent > 0
        assert numbers["cancel_reasons"] == {"vendor timeout": waiting_for_silent}
        assert numbers["settled"] == 6 and numbers["lost"] == 0
    assert rows["cancelled"]["event"].endswith("vendor timeout)")
    assert any(finding.startswith("Cancelled: event style") for finding in scenario["findings"])


def test_the_lab_s_products_stay_out_of_the_shop(qcluster):
    run("--orders", "1", "--rate", "10", "--seed", "1")
    shop = {p.product_id for group in orders_selectors.catalog_by_vendor() for p in group.products}
    lab = {pid for vendor in lab_vendors_ensure() for pid in vendor.product_ids}
    assert lab and not shop & lab


def stopped_mid_run(tmp_path, scenario: str, option: str, value: int, stop) -> ManagedProcess:
    """``run_experiment`` in its own process, stopped by ``stop(process)`` once its scenario's fault is set."""
    run = ManagedProcess(
        "run_experiment", "--scenario", scenario, option, str(value), "--orders", "40", "--rate", "2",
        log=tmp_path / "run_experiment.log",
    )  # fmt: skip
    field = option.removeprefix("--").replace("-", "_")
    try:
        wait_until(lambda: getattr(controls.fault_settings()["vendors"], field) == value, timeout=60, message="fault")
        stop(run)
        assert run.process.wait(30) == 130, run.output()
    finally:
        run.stop()
    assert not controls.fault_settings()["vendors"].is_active
    return run


def test_a_stopped_experiment_clears_its_fault_and_is_recorded_as_interrupted(qcluster, tmp_path):
    run = stopped_mid_run(tmp_path, "slow", "--latency-ms", 500, lambda run: run.process.send_signal(signal.SIGTERM))
    assert "interrupted; the fault lab is restored" in run.output()
    experiment = Experiment.objects.get()
    assert experiment.status == Experiment.Status.INTERRUPTED and experiment.active is None


def test_an_experiment_asked_to_stop_stops_at_its_next_look_and_clears_its_fault(qcluster, tmp_path):
    def ask(run):
        assert records.experiment_stop(Experiment.objects.get(), actor="user:admin")

    run = stopped_mid_run(tmp_path, "flaky", "--failure-rate", 40, ask)
    assert "interrupted: Stopped by user:admin." in run.output()
    experiment = Experiment.objects.get()
    assert experiment.status == Experiment.Status.INTERRUPTED and experiment.error == "Stopped by user:admin."
    assert not records.experiment_stop(experiment, actor="user:admin")  # over: nothing to stop
