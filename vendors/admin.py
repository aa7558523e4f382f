from django.contrib import admin

from vendors.models import Product, Vendor, VendorNotification

admin.site.register([Product, Vendor, VendorNotification])
