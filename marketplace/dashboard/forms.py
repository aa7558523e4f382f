"""The dashboard's side of the controls' forms: the forms are the controls' own (``messaging.controls``,
``orders.settings_form``), shared with the admin; here only how this page's buttons post them."""

from django import forms

from messaging import controls


class HandlerSwitchForm(controls.HandlerPauseForm):
    """The pause form as the Pause and Resume buttons post it: the button's ``action``, not a checkbox."""

    action = forms.ChoiceField(choices=[("pause", "pause"), ("resume", "resume")])
    paused = None

    def clean(self):
        cleaned = super().clean()
        cleaned["paused"] = cleaned.get("action") == "pause"
        return cleaned
