"""The input of the controls, checked once for every door: the admin builds its model forms on these, the
dashboard posts to them, the commands pass their options through them. An error says what to type instead."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from messaging.runtime.registry import registry

MAX_LATENCY_MS = 30_000


def handler_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(registry.handlers)]


def handler_contexts() -> list[tuple[str, str]]:
    """The contexts that have handlers: the only ones a fault can apply to."""
    return [(name, name) for name in registry.handler_contexts()]


class FaultForm(forms.Form):
    """One context's fault lab setting; all healthy values (off, 0, 0) restore it."""

    context = forms.ChoiceField(
        choices=handler_contexts,
        help_text="The context whose handlers should misbehave.",
        error_messages={"invalid_choice": "Choose a context that has handlers: %(value)s has none."},
    )
    unavailable = forms.BooleanField(required=False, help_text="Every handler of the context fails, transiently.")
    latency_ms = forms.IntegerField(
        label="Latency (ms)",
        min_value=0,
        max_value=MAX_LATENCY_MS,
        initial=0,
        error_messages={
            "min_value": "The latency cannot be negative.",
            "max_value": f"The latency is at most {MAX_LATENCY_MS} ms (30 seconds).",
            "invalid": "Enter the latency as a whole number of milliseconds.",
            "required": "Enter the latency in milliseconds (0 for none).",
        },
        help_text=f"Added before each handler of the context runs (0 to {MAX_LATENCY_MS} ms).",
    )
    failure_rate = forms.IntegerField(
        label="Failure rate (%)",
        min_value=0,
        max_value=100,
        initial=0,
        error_messages={
            "min_value": "The failure rate is a percentage: 0 to 100.",
            "max_value": "The failure rate is a percentage: 0 to 100.",
            "invalid": "Enter the failure rate as a whole number from 0 to 100.",
            "required": "Enter the failure rate in percent (0 for none).",
        },
        help_text="Percent of the context's handler attempts that fail, transiently (0 to 100).",
    )


class HandlerPauseForm(forms.Form):
    """Pause a handler (its deliveries wait) or resume it."""

    handler = forms.ChoiceField(choices=handler_choices, error_messages={"invalid_choice": "No handler %(value)s."})
    paused = forms.BooleanField(required=False)


def form_errors(form: forms.Form) -> list[str]:
    """Every error of a bound form, each naming its field, for a door that shows text (a command)."""
    return [
        message if name == NON_FIELD_ERRORS else f"{name}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]
