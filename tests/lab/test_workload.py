"""The workload: the same seed gives the same carts; orders of both styles placed at the same moments."""

from marketplace.lab import workload

PRODUCTS = [11, 12, 13, 21, 22, 23, 31, 32, 33]


def test_the_same_seed_gives_the_same_carts_and_another_seed_others():
    first = workload.carts(seed=7, count=50, product_ids=PRODUCTS)
    assert first == workload.carts(seed=7, count=50, product_ids=list(reversed(PRODUCTS)))
    assert first != workload.carts(seed=8, count=50, product_ids=PRODUCTS)


def test_a_cart_holds_one_to_three_products_once_each_one_to_three_of_each():
    for cart in workload.carts(seed=1, count=200, product_ids=PRODUCTS):
        products = [product_id for product_id, _ in cart.lines]
        assert 1 <= len(products) <= 3 and len(set(products)) == len(products)
        assert set(products) <= set(PRODUCTS)
        assert all(1 <= quantity <= 3 for _, quantity in cart.lines)


def test_interleaved_places_each_cart_in_both_styles_at_the_same_moment_alternating_which_goes_first():
    plan = workload.placements(count=3, rate=2.0, styles=("event", "command"))
    assert [(p.at, p.index, p.style) for p in plan] == [
        (0.0, 0, "event"),
        (0.0, 0, "command"),
        (0.5, 1, "command"),
        (0.5, 1, "event"),
        (1.0, 2, "event"),
        (1.0, 2, "command"),
    ]


def test_one_style_alone_keeps_the_same_timing():
    plan = workload.placements(count=3, rate=4.0, styles=("command",))
    assert [(p.at, p.index) for p in plan] == [(0.0, 0), (0.25, 1), (0.5, 2)]
