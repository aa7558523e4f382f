from django.shortcuts import render

from messaging.registry import registry


def home(request):
    message_types = [
        (message_type, [h.name for h in registry.handlers_for(message_type)])
        for message_type in sorted(registry.messages.values(), key=lambda t: t.name)
    ]
    return render(request, "marketplace/home.html", {"message_types": message_types})
