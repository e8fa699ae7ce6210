"""The API tokens page: make a token (shown once), see one's tokens and their last use, revoke one.

Administrators also see every token and may make one for another user (a service account for the data
warehouse, say) or revoke anyone's.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.accounts.models import ApiScope, ApiToken, User
from liaison.accounts.permissions import Cap, can
from liaison.accounts.tokens import DEFAULT_DAYS, MAX_DAYS, NewToken, scopes_for, token_create, token_revoke
from liaison.lib.errors import ApplicationError

LIST_LIMIT = 200


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="What will use it", help_text="E.g. “Data warehouse nightly load”.")
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple, label="What it may do"
    )
    days = forms.IntegerField(
        min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS, label="Lasts (days)", help_text=f"At most {MAX_DAYS}."
    )
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="For", empty_label="Myself")

    def __init__(self, *args: object, acting: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if can(acting, Cap.ADMIN):
            self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("full_name")  # type: ignore[attr-defined]
            self.fields["user"].help_text = "Administrators may make a token for a service account or anyone else."
        else:
            del self.fields["user"]
            allowed = set(scopes_for(acting))
            self.fields["scopes"].choices = [c for c in ApiScope.choices if c[0] in allowed]  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Cap.API_TOKEN_OWN):
        raise Http404
    return user


def _page(
    request: HttpRequest, user: User, form: TokenForm, *, made: NewToken | None = None, status: int = 200
) -> HttpResponse:
    mine = ApiToken.objects.filter(user=user).select_related("user")[:LIST_LIMIT]
    everyone = (
        ApiToken.objects.exclude(user=user).select_related("user", "created_by")[:LIST_LIMIT]
        if can(user, Cap.ADMIN)
        else []
    )
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "made": made, "mine": _rows(mine), "everyone": _rows(everyone)},
        status=status,
    )


def _rows(tokens: Iterable[ApiToken]) -> list[dict[str, object]]:
    labels, now = dict(ApiScope.choices), timezone.now()
    return [
        {
            "token": t,
            "scopes": [labels.get(s, s) for s in t.scopes],
            "state": (
                f"Revoked {t.revoked_at:%d %b %Y}" if t.revoked_at else "Expired" if t.expires_at <= now else "Active"
            ),
        }
        for t in tokens
    ]


def tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        return _page(request, user, TokenForm(acting=user))
    form = TokenForm(request.POST, acting=user)
    if not form.is_valid():
        return _page(request, user, form, status=400)
    data = form.cleaned_data
    try:
        made = token_create(
            acting_user=user, user=data.get("user") or user, name=data["name"], scopes=data["scopes"], days=data["days"]
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _page(request, user, form, status=400)
    # Shown in this answer only: never put in a redirect, the session or a message that could be kept.
    return _page(request, user, TokenForm(acting=user), made=made)


@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    scope = ApiToken.objects.all() if can(user, Cap.ADMIN) else ApiToken.objects.filter(user=user)
    token = get_object_or_404(scope, pk=pk)
    try:
        token_revoke(acting_user=user, token=token)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The token “{token.name}” ({token.prefix}…) is revoked: it no longer works.")
    return redirect("accounts:tokens")
