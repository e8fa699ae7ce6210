from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": (
            "The email or password is not right. After 5 failed attempts the account is locked for %(minutes)s minutes."
        ),
        "inactive": "This account is switched off. Ask your Liaison administrator.",
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def get_invalid_login_error(self) -> forms.ValidationError:
        from django.conf import settings

        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login", params={"minutes": minutes}
        )


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip().replace(" ", "").replace("-", "")


class EnrolForm(forms.Form):
    token = forms.CharField(
        label="Code from the app",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", "pattern": "[0-9 ]*"}
        ),
        help_text="Enter the 6-digit code the app shows now.",
    )
