from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("orders/", views.order_create, name="create"),
    path("orders/<str:token>/", views.order_detail, name="order"),
    path("orders/<str:token>/pay/", views.order_payment, name="pay"),
    path("orders/<str:token>/confirm/", views.order_confirm, name="confirm"),
    path("orders/<str:token>/timeline/", views.order_live, name="timeline"),
]
