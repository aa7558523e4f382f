"""``manage.py simulate_orders``: customers placing (and paying) orders, for demos and benchmarks.

Orders go through the same services as the storefront (``order_place``,
``order_pay``), one transaction each, with random lines from Orders'
catalog read model, re-read before every order as stock moves.
"""

import math
import random
from collections import Counter
from time import monotonic, sleep

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from messaging.management.progress import ProgressBar
from orders.models import CatalogProduct, Order, Payment
from orders.services.payment import order_pay
from orders.services.placing import LineRequest, OrderRejected, order_place
from orders.services.settings import store_settings

MAX_COUNT = 100_000
SUCCEEDING_CARD = "4242424242424242"
NOTHING_IN_STOCK = "not placed: no product left in stock"
RESTOCK_HINT = (
    "Restock the demo with `python manage.py seed_demo --restock` (or in the admin, Vendors → Products); "
    "the workers carry the new stock to the storefront."
)


class Command(BaseCommand):
    help = "Place (and with --pay, pay) N orders of random products through the storefront's services."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help=f"Orders to place (1 to {MAX_COUNT}).")
        parser.add_argument("--rate", type=float, help="Orders per second (default: as fast as possible).")
        parser.add_argument("--pay", action="store_true", help="Pay each order once placed.")
        parser.add_argument(
            "--style", choices=["event", "command"], help="Pay this run's orders in this style (the store's stays)."
        )
        parser.add_argument("--card", help=f"Card number to pay with (default {SUCCEEDING_CARD}); needs --pay.")
        parser.add_argument("--seed", type=int, help="Seed of the random choices, to repeat a run.")

    def handle(self, *args, count, rate, pay, style, card, seed, **options):
        check_arguments(count=count, rate=rate, pay=pay, card=card)
        if not on_sale().filter(stock__gt=0).exists():
            raise CommandError(nothing_in_stock())
        if style:
            self.stdout.write(
                f"This run's orders are paid in {style} style; the store's style stays {store_settings().style}."
            )
        rng, tally = random.Random(seed), Counter()
        progress = ProgressBar.on_stderr(self, count)
        started = monotonic()
        try:
            for index in range(count):
                if rate:
                    sleep(max(0.0, started + index / rate - monotonic()))
                simulate_one(index, rng=rng, pay=pay, card=card or SUCCEEDING_CARD, style=style, tally=tally)
                progress.update(index + 1, note=summary_counts(tally, pay=pay))
        except KeyboardInterrupt:
            tally["interrupted"] += 1
        finally:
            progress.finish()
        self.report(tally, pay=pay, elapsed=monotonic() - started)
        if tally[f"reason:{NOTHING_IN_STOCK}"]:
            self.stdout.write(self.style.WARNING(nothing_in_stock()))

    def report(self, tally: Counter, *, pay: bool, elapsed: float) -> None:
        attempted = tally["placed"] + tally["rejected"]
        rate = attempted / elapsed if elapsed > 0 else 0.0
        if tally["interrupted"]:
            self.stdout.write(self.style.WARNING("Interrupted."))
        self.stdout.write(f"Done: {summary_counts(tally, pay=pay)} in {elapsed:.1f}s ({rate:.1f} orders/s).")
        for reason, times in tally_reasons(tally).most_common(5):
            self.stdout.write(f"  {times} x {reason}")


def on_sale() -> QuerySet[CatalogProduct]:
    """The storefront's products: the trade-off lab's are not for customers, simulated or not."""
    return CatalogProduct.objects.filter(lab=False)


def nothing_in_stock() -> str:
    sold_out = [f"{p.name} ({p.vendor_name})" for p in on_sale().filter(stock=0).order_by("name")]
    if not sold_out:
        return (
            "The catalog is empty (no product in stock): run seed_demo and start the workers first "
            "(make run does both), so the vendors' products reach Orders."
        )
    return f"Every product is out of stock: {', '.join(sold_out)}. {RESTOCK_HINT}"


def check_arguments(*, count: int, rate: float | None, pay: bool, card: str | None) -> None:
    if count < 1:
        raise CommandError(f"--count must be at least 1 (got {count}).")
    if count > MAX_COUNT:
        raise CommandError(f"--count is at most {MAX_COUNT} per run (got {count}).")
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise CommandError(f"--rate must be a positive number of orders per second (got {rate}).")
    if card is not None and not pay:
        raise CommandError("--card is the card to pay with: add --pay.")


def simulate_one(index: int, *, rng: random.Random, pay: bool, card: str, style: str | None, tally: Counter) -> None:
    lines = random_lines(rng)
    if not lines:  # the run (or an earlier one) sold everything: say so, rather than "your order is empty"
        tally["rejected"] += 1
        tally[f"reason:{NOTHING_IN_STOCK}"] += 1
        return
    try:
        order = order_place(
            customer_name=f"Simulated customer {index + 1}",
            customer_email=f"customer{index + 1}@example.com",
            lines=lines,
        )
    except OrderRejected as rejected:
        tally["rejected"] += 1
        tally.update(f"reason:{error}" for error in rejected.errors)
        return
    tally["placed"] += 1
    if pay:
        tally_payment(order, card=card, style=style, tally=tally)


def tally_payment(order: Order, *, card: str, style: str | None, tally: Counter) -> None:
    try:
        payment = order_pay(order_id=order.id, card_number=card, style=style)
    except Exception as error:  # counted and reported, so that one bad order does not stop the run
        tally["failed"] += 1
        tally[f"reason:{error}"] += 1
        return
    outcome = {Payment.Status.SUCCEEDED: "paid", Payment.Status.DECLINED: "declined"}.get(payment.status, "failed")
    tally[outcome] += 1
    if outcome != "paid":
        tally[f"reason:{payment.message or payment.status}"] += 1


def random_lines(rng: random.Random) -> list[LineRequest]:
    """One to three products in stock, one to three of each (never more than the catalog has)."""
    in_stock = list(on_sale().filter(stock__gt=0).order_by("product_id").values_list("product_id", "stock"))
    chosen = rng.sample(in_stock, k=min(len(in_stock), rng.randint(1, 3)))
    return [LineRequest(product_id=pid, quantity=rng.randint(1, min(3, stock))) for pid, stock in chosen]


def summary_counts(tally: Counter, *, pay: bool) -> str:
    placed = f"placed {tally['placed']}"
    failed = tally["rejected"] + tally["failed"]
    if not pay:
        return f"{placed}, failed {failed}"
    return f"{placed}, paid {tally['paid']}, declined {tally['declined']}, failed {failed}"


def tally_reasons(tally: Counter) -> Counter:
    return Counter({key.removeprefix("reason:"): n for key, n in tally.items() if key.startswith("reason:")})
