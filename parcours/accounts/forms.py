"""Forms of the login pages: password login under the role policy, second-factor codes."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import access


class PolicyAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing the password to roles that must use Pro Santé Connect."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not access.may_use_password(user):
            raise forms.ValidationError(
                _(
                    "Votre rôle impose la connexion par Pro Santé Connect (carte CPS ou "
                    "e-CPS) : utilisez le bouton « Se connecter avec Pro Santé Connect »."
                ),
                code="psc_required",
            )


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("Le code à 6 chiffres de votre application, ou un code de secours."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EnrolForm(forms.Form):
    token = forms.CharField(
        label=_("Code affiché par l'application"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PracticeForm(forms.Form):
    practice = forms.ChoiceField(label=_("Activité"), widget=forms.RadioSelect)

    def __init__(self, *args, practices: list[dict[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].choices = [(p["key"], p["label"]) for p in practices]  # type: ignore[attr-defined]
