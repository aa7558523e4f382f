"""Orders' handlers: thin, they call a service."""

from messaging import handler
from orders.services import catalog
from vendors.contracts import ProductListed, ProductPriceChanged, ProductStockChanged


@handler(ProductListed)
def catalog_add_product(event: ProductListed) -> None:
    catalog.catalog_product_listed(event)


@handler(ProductPriceChanged)
def catalog_change_price(event: ProductPriceChanged) -> None:
    catalog.catalog_price_changed(event)


@handler(ProductStockChanged)
def catalog_change_stock(event: ProductStockChanged) -> None:
    catalog.catalog_stock_changed(event)
