from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notifications.models import Delivery


class PreferenceForm(forms.Form):
    delivery = forms.ChoiceField(
        label=_("How to tell me"), choices=Delivery.choices, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language of notifications"), choices=settings.LANGUAGES)
