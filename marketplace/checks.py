"""The project's own deployment checks (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.compatibility, deploy=True)
def site_url_set(app_configs, **kwargs):
    """A worker sends the receipt e-mail with no request to take the site's address from: SITE_URL says it."""
    if settings.SITE_URL:
        return []
    return [
        Warning(
            "SITE_URL is not set: the receipt e-mail's link to the order page has no host.",
            hint="Set SITE_URL to the address customers reach the site at, e.g. https://shop.example.com.",
            id="marketplace.W001",
        )
    ]
