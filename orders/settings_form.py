"""The store's settings as a form, the one the admin and the dashboard both show: the style as two choices.

The admin adds the vendor timeout to it (the same model form, one more field); ``store_settings_update``
then decides what is allowed and journals the change.
"""

from django import forms

from orders.models import StoreSettings


class StyleForm(forms.ModelForm):
    class Meta:
        model = StoreSettings
        fields = ("style",)
        widgets = {"style": forms.RadioSelect}
        error_messages = {
            "style": {
                "invalid_choice": "Choose event or command: %(value)s is not a style.",
                "required": "Choose a style.",
            }
        }
