"""The dashboard's side of the controls' forms: the forms are the controls' own (``messaging.controls``,
``orders.settings_form``), shared with the admin; here only how this page's buttons post them."""

from django import forms

from messaging import controls, selectors


class HandlerSwitchForm(controls.HandlerPauseForm):
    """The pause form as the Pause and Resume buttons post it: the button's ``action``, not a checkbox."""

    action = forms.ChoiceField(choices=[("pause", "pause"), ("resume", "resume")])
    paused = None

    def clean(self):
        cleaned = super().clean()
        cleaned["paused"] = cleaned.get("action") == "pause"
        return cleaned


def _choices(names) -> list[tuple[str, str]]:
    return [("", "any"), *((name, name) for name in sorted(names))]


class DeadLetterFilterForm(forms.Form):
    """The dead letters page's filter: on the page's address, and posted back with "all N matching"."""

    handler = forms.ChoiceField(required=False, choices=lambda: _choices(selectors.handlers()))
    context = forms.ChoiceField(required=False, choices=lambda: _choices(selectors.contexts()))
    type = forms.ChoiceField(required=False, label="Message type", choices=lambda: _choices(selectors.message_types()))
    error = forms.CharField(required=False, max_length=200, label="Error contains")

    def matching(self) -> selectors.DeadLetterFilter:
        """The filter asked for; everything if the form is not valid (its errors say why)."""
        if not self.is_valid():
            return selectors.DeadLetterFilter()
        data = self.cleaned_data
        return selectors.DeadLetterFilter(
            handler=data["handler"], context=data["context"], message_type=data["type"], error=data["error"].strip()
        )
