"""The demo vendors and products ``seed_demo`` lists: a few supermarkets and stores, each with a handful of products."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DemoProduct:
    name: str
    price: Decimal
    stock: int


@dataclass(frozen=True)
class DemoVendor:
    name: str
    slug: str
    kind: str  # vendors.models.Vendor.Kind value
    products: tuple[DemoProduct, ...]


def _products(*rows: tuple[str, str, int]) -> tuple[DemoProduct, ...]:
    return tuple(DemoProduct(name, Decimal(price), stock) for name, price, stock in rows)


VENDORS = (
    DemoVendor(
        "Green Basket Supermarket",
        "green-basket",
        "supermarket",
        _products(
            ("Organic bananas (1 kg)", "2.49", 120),
            ("Free-range eggs (12)", "4.20", 80),
            ("Whole milk (1 l)", "1.15", 150),
            ("Sourdough loaf", "3.80", 40),
            ("Cheddar cheese (400 g)", "5.60", 60),
        ),
    ),
    DemoVendor(
        "City Fresh Market",
        "city-fresh",
        "supermarket",
        _products(
            ("Basmati rice (2 kg)", "6.90", 70),
            ("Extra virgin olive oil (750 ml)", "9.50", 45),
            ("Tomatoes on the vine (500 g)", "2.95", 90),
            ("Ground coffee (250 g)", "5.25", 65),
            ("Dark chocolate (100 g)", "1.99", 200),
            ("Sparkling water (6 x 1.5 l)", "3.40", 55),
        ),
    ),
    DemoVendor(
        "Corner Hardware Store",
        "corner-hardware",
        "store",
        _products(
            ("Claw hammer", "14.90", 25),
            ("Cordless drill", "79.00", 10),
            ("Screwdriver set (8 pieces)", "19.50", 30),
            ("LED bulb E27 (4 pack)", "11.99", 50),
        ),
    ),
    DemoVendor(
        "Page & Quill Bookshop",
        "page-and-quill",
        "store",
        _products(
            ("Notebook, A5 dotted", "8.50", 75),
            ("Fountain pen", "24.00", 20),
            ("World atlas", "32.00", 12),
            ("Crossword collection", "9.99", 40),
            ("Gift card", "25.00", 100),
        ),
    ),
)
