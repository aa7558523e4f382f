"""Admin list filters whose choices come from the registry, not from the table.

Django's default filter for a plain column runs ``SELECT DISTINCT`` over the
whole table to find its choices; the registry already knows every message
type, handler and context, for free.
"""

from django.contrib import admin

from messaging.runtime.registry import registry


class RegistryListFilter(admin.SimpleListFilter):
    """Filters ``field`` by one value offered by ``values()``; subclasses say which."""

    field: str

    def values(self) -> set[str]:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [(value, value) for value in sorted(self.values())]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class MessageTypeFilter(RegistryListFilter):
    title = "type"
    parameter_name = field = "type"

    def values(self):
        return set(registry.messages)


class HandlerFilter(RegistryListFilter):
    title = "handler"
    parameter_name = field = "handler"

    def values(self):
        return set(registry.handlers)


class ContextFilter(RegistryListFilter):
    title = "context"
    parameter_name = field = "context"

    def values(self):
        return registry.contexts()


class DeliveryMessageTypeFilter(MessageTypeFilter):
    """A delivery's (or dead letter's) message type."""

    field = "message__type"
