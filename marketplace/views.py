from django.shortcuts import render

from messaging.registry import registry


def home(request):
    # Plain values: templates would call a message class (instantiating it).
    message_types = [
        {
            "name": message_type.name,
            "kind": message_type.kind,
            "version": message_type.version,
            "handlers": [h.name for h in registry.handlers_for(message_type)],
        }
        for message_type in sorted(registry.messages.values(), key=lambda t: t.name)
    ]
    return render(request, "marketplace/home.html", {"message_types": message_types})
