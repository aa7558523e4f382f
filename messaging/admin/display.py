"""Small pieces the messaging admin pages share: read-only admins, links, ``<pre>`` blocks."""

import json

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator

from messaging.admin.paginator import LargeTableAdminMixin
from messaging.admin.search import ExactSearchMixin


def admin_actor(request) -> str:
    """Who to name in the journal for an operator's action."""
    return f"admin:{request.user.username}"


def pre(text: str) -> str:
    return format_html("<pre>{}</pre>", text) if text else "-"


def pretty_json(value) -> str:
    return "-" if value is None else pre(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def truncated(text: str, length: int = 80) -> str:
    return Truncator(text.splitlines()[0] if text else "").chars(length)


def search_link(model, query: str, text: str | None = None) -> str:
    """A link to ``model``'s changelist searched for ``query`` (an exact, indexed search)."""
    if not query:
        return "-"
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode({"q": query}), text or query)


def change_link(model, pk, text: str) -> str:
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent, never added, changed or deleted there."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted here: rows are written by the messaging code."""

    def get_readonly_fields(self, request, obj=None):
        return flatten(self.fields) if self.fields else [f.name for f in self.opts.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LargeReadOnlyAdmin(LargeTableAdminMixin, ExactSearchMixin, ReadOnlyAdmin):
    """A read-only table of millions of rows: bounded counts, exact searches."""
