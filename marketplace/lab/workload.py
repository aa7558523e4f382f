"""The workload: seeded carts of the lab's products, and when each order is placed.

The carts depend only on the seed and the lab's catalog, so the same seed gives the same carts in both styles,
in every scenario and in every experiment; the timing depends only on the rate.
"""

import random
from dataclasses import dataclass

STYLES = ("event", "command")
MAX_PRODUCTS, MAX_QUANTITY = 3, 3


@dataclass(frozen=True)
class Cart:
    lines: tuple[tuple[int, int], ...]  # (product id, quantity), by product id


@dataclass(frozen=True)
class Placement:
    at: float  # seconds from the start of the placing
    index: int  # which cart
    style: str


def carts(*, seed: int, count: int, product_ids: list[int]) -> list[Cart]:
    """``count`` carts of one to three of the products, one to three of each."""
    rng, products = random.Random(seed), sorted(product_ids)
    chosen = []
    for _ in range(count):
        picked = sorted(rng.sample(products, k=rng.randint(1, min(MAX_PRODUCTS, len(products)))))
        chosen.append(Cart(tuple((product_id, rng.randint(1, MAX_QUANTITY)) for product_id in picked)))
    return chosen


def placements(*, count: int, rate: float, styles: tuple[str, ...]) -> list[Placement]:
    """Cart ``i`` at ``i / rate`` seconds, once in each style; which style goes first alternates."""
    plan = []
    for index in range(count):
        ordered = styles if index % 2 == 0 else tuple(reversed(styles))
        plan.extend(Placement(at=index / rate, index=index, style=style) for style in ordered)
    return plan
