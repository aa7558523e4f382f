"""The vendor portal: a vendor's staff see the paid orders they were told about and act on them.

Views only read through ``selectors`` and write through ``services``; another
vendor's page or notification answers 404 (see ``selectors``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from vendors import selectors, services

PER_PAGE = 25


@require_GET
@login_required
def vendor_list(request):
    return render(request, "vendors/vendor_list.html", {"vendors": selectors.vendors_visible_to(request.user)})


@require_GET
@login_required
def vendor_detail(request, slug: str):
    vendor = selectors.vendor_for_user_or_404(request.user, slug)
    status = request.GET.get("status", "")
    status = status if status in selectors.Status.values else ""
    notifications = selectors.vendor_notifications(vendor, status=status)
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "vendor": vendor,
        "page": page,
        "notifications": selectors.with_line_items(page),
        "status": status,
        "statuses": selectors.status_counts(vendor),
    }
    return render(request, "vendors/vendor_detail.html", context)


@require_POST
@login_required
def notification_accept(request, slug: str, notification_id: int):
    success = "Accepted order {order}: mark it prepared when its goods are ready."
    return _act(request, slug, notification_id, services.notification_accept, success)


@require_POST
@login_required
def notification_prepare(request, slug: str, notification_id: int):
    return _act(request, slug, notification_id, services.notification_prepare, "Order {order} is prepared.")


def _act(request, slug: str, notification_id: int, action, success: str):
    notification = selectors.notification_for_user_or_404(request.user, slug=slug, notification_id=notification_id)
    try:
        action(notification_id=notification.pk, actor=f"portal:{request.user.get_username()}")
    except services.NotificationStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success.format(order=str(notification.order_id)[:8]))
    return redirect(reverse("vendors:detail", args=[slug]) + f"#notification-{notification.pk}")
