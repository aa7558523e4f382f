"""What an experiment may be asked to do: one form for the command line and the dashboard, so both refuse alike."""

import random

from django import forms

from marketplace.lab.scenarios import SCENARIOS, SETTINGS, settings_of

ALL = "all"
MAX_ORDERS = 2_000
MAX_RATE = 50.0
SCHEDULES = {
    "interleaved": "interleaved: an order of each style at the same moment, same cart",
    "sequential": "sequential: every event-style order, then every command-style order",
}


def setting_field(name: str) -> forms.IntegerField:
    setting = SETTINGS[name]
    return forms.IntegerField(
        required=False,
        min_value=setting.minimum,
        max_value=setting.maximum,
        help_text=f"{setting.help} Default {setting.default} {setting.unit}.",
    )


class ExperimentForm(forms.Form):
    scenarios = forms.MultipleChoiceField(
        choices=[(name, name) for name in SCENARIOS], help_text="Run in this order, one after the other."
    )
    orders = forms.IntegerField(min_value=1, max_value=MAX_ORDERS, initial=50, help_text="Orders per style.")
    rate = forms.FloatField(min_value=0.1, max_value=MAX_RATE, initial=5.0, help_text="Orders per second per style.")
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**31 - 1, help_text="Same seed, same carts (random if empty)."
    )
    schedule = forms.ChoiceField(choices=list(SCHEDULES.items()), initial="interleaved")
    settle_timeout = forms.IntegerField(
        min_value=5, max_value=3600, initial=90, help_text="Seconds to wait, after the placing, for orders to settle."
    )
    down_seconds = setting_field("down_seconds")
    failure_rate = setting_field("failure_rate")
    latency_ms = setting_field("latency_ms")
    vendor_timeout = setting_field("vendor_timeout")

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("scenarios") or []
        for setting in SETTINGS.values():
            owner = next(s for s in SCENARIOS.values() if s.setting == setting)
            if cleaned.get(setting.name) is not None and owner.name not in chosen:
                self.add_error(setting.name, f"{setting.option} is the {owner.name} scenario's: add that scenario.")
        return cleaned

    def parameters(self) -> dict:
        """The experiment's parameters, JSON-ready, with the seed drawn and each chosen scenario's settings."""
        data = self.cleaned_data
        seed = data["seed"] if data["seed"] is not None else random.SystemRandom().randrange(2**31)
        return {
            "scenarios": list(data["scenarios"]),
            "orders": data["orders"],
            "rate": data["rate"],
            "seed": seed,
            "schedule": data["schedule"],
            "settle_timeout": data["settle_timeout"],
            "settings": settings_of(list(data["scenarios"]), data),
        }


def scenario_names(asked: list[str]) -> list[str]:
    """``all`` stands for every scenario; a name asked twice runs once."""
    names = list(SCENARIOS) if ALL in asked else asked
    return list(dict.fromkeys(names))
