"""Fixtures of the fault suite: the backend, the running stack, a shop, the results table."""

import json
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction

from orders.models import CatalogProduct
from tests.faults import ledger
from tests.faults.shopper import Shopper
from tests.faults.stack import Stack
from tests.processes import ROOT, wait_until
from vendors import services as vendors

HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "test-artifacts" / "faults"
STOCK = 100_000
_rows: list[dict] = []


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.faults)


def backend_name() -> str:
    if connection.vendor == "postgresql":
        return "postgresql+redis" if os.environ.get("REDIS_URL") else "postgresql"
    return "sqlite"


@pytest.fixture
def stack(transactional_db, tmp_path_factory, request):
    """daphne, one supervised qcluster and one sweeper, on the test database; more can be started."""
    system = Stack(logs=tmp_path_factory.mktemp("stack"))
    try:
        system.start_web()
        system.start_cluster()
        system.start_sweeper()
        yield system
    finally:
        system.stop()
        if getattr(request.node, "rep_call", None) is None or request.node.rep_call.failed:
            print(system.logs_tail())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


@dataclass
class Shop:
    products: list
    lines: dict[int, tuple[int, Decimal]] = field(default_factory=dict)  # one of each vendor's products
    initial_stock: int = 0

    def buy_one(self, url: str) -> str:
        """A new order, placed and paid over HTTP: its id."""
        outcome = Shopper(url, name="Latecomer").buy(self.lines)
        assert (outcome.placed, outcome.paid) == (200, 200), outcome
        return outcome.order_id


@pytest.fixture
def shop(stack) -> Shop:
    """Two vendors with two products each (plenty of stock), in Orders' catalog once the workers carry it."""
    with transaction.atomic():
        grocer = vendors.vendor_create(name="Green Grocer", kind="supermarket")
        books = vendors.vendor_create(name="Page Turner", kind="store")
        products = [
            vendors.product_list(vendor=grocer, product_name="Apples", price=Decimal("2.50"), stock=STOCK),
            vendors.product_list(vendor=grocer, product_name="Pears", price=Decimal("3.00"), stock=STOCK),
            vendors.product_list(vendor=books, product_name="Atlas", price=Decimal("30.00"), stock=STOCK),
            vendors.product_list(vendor=books, product_name="Novel", price=Decimal("12.00"), stock=STOCK),
        ]
    wait_until(lambda: CatalogProduct.objects.count() == 4, timeout=30, message="the catalog to reach Orders")
    ledger.settle()
    lines = {products[0].pk: (1, products[0].price), products[2].pk: (1, products[2].price)}
    return Shop(products, lines, initial_stock=len(products) * STOCK)


@pytest.fixture
def report(request):
    """``report(heal_seconds=..., **extra)`` after the ledger: one row of the results table."""
    began = time.monotonic()

    def record(book: ledger.Ledger, *, http_errors: int = 0, heal_seconds: float | None = None, **extra):
        _rows.append(
            {
                "scenario": request.node.name.removeprefix("test_"),
                "backend": backend_name(),
                "seconds": round(time.monotonic() - began, 1),
                **book.as_row(),
                "http_errors": http_errors,
                "heal_seconds": None if heal_seconds is None else round(heal_seconds, 1),
                "notes": ", ".join(f"{key}={value}" for key, value in extra.items()),
                **extra,
            }
        )

    return record


COLUMNS = [
    ("scenario", "scenario"), ("backend", "backend"), ("seconds", "s"), ("paid_orders", "paid"),
    ("vendor_pairs", "pairs"), ("notified_once", "once"), ("missing", "missing"), ("doubled", "doubled"),
    ("stuck", "stuck"), ("dead", "dead"), ("stock_conserved", "stock"), ("payments_once", "payments"),
    ("http_errors", "http err"), ("heal_seconds", "heal s"), ("notes", "notes"),
]  # fmt: skip


def pytest_terminal_summary(terminalreporter):
    if not _rows:
        return
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in sorted(_rows, key=lambda row: row["scenario"]):  # pytest-django reorders tests; the table does not
        cells = ["ok" if row[key] is True else "NO" if row[key] is False else "" if row[key] is None else str(row[key])
                 for key, _ in COLUMNS]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    terminalreporter.write_sep("=", "fault suite: the ledger of each scenario")
    for line in lines:
        terminalreporter.write_line(line)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = _rows[0]["backend"]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(_rows, indent=2))
