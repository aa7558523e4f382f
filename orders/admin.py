from django.contrib import admin

from orders.models import CatalogProduct, Order, StoreSettings

admin.site.register([CatalogProduct, Order, StoreSettings])
