from django.urls import path

from vendors import views

app_name = "vendors"

urlpatterns = [
    path("", views.vendor_list, name="list"),
    path("<slug:slug>/", views.vendor_detail, name="detail"),
    path("<slug:slug>/notifications/<int:notification_id>/accept/", views.notification_accept, name="accept"),
    path("<slug:slug>/notifications/<int:notification_id>/prepare/", views.notification_prepare, name="prepare"),
]
