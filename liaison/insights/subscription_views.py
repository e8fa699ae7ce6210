"""Asking for, and stopping, the monthly board report by email (a link to the signed-in download)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.insights.models import ReportKind
from liaison.insights.subscriptions import subscription_create, subscription_delete, subscriptions_for_user
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class SubscribeForm(forms.Form):
    site = forms.ChoiceField(label="Site")

    def __init__(self, *args: Any, user: User, taken: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        readable = [pk for pk in user.site_ids if can(user, Cap.INSIGHTS_READ, pk) and pk not in taken]
        self.sites = {site.code: site for site in Site.objects.filter(pk__in=readable, is_active=True).order_by("name")}
        self.fields["site"].choices = [(code, site.name) for code, site in self.sites.items()]  # type: ignore[attr-defined]

    def clean_site(self) -> Site:
        return self.sites[self.cleaned_data["site"]]


class StopForm(forms.Form):
    subscription = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


def subscriptions(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    mine = list(subscriptions_for_user(user=user))
    # Someone who lost the right to read reports may still come here to stop the emails.
    if not can(user, Cap.INSIGHTS_READ) and not mine:
        raise Http404
    form = SubscribeForm(
        request.POST if request.method == "POST" else None,
        user=user,
        taken={s.site_id for s in mine if s.kind == ReportKind.BOARD},
    )
    if request.method == "POST" and form.is_valid():
        try:
            subscription_create(acting_user=user, site=form.cleaned_data["site"], kind=ReportKind.BOARD)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"You will be sent the board report for {form.cleaned_data['site']} on the first working day "
                "of each month.",
            )
            return redirect("insights:subscriptions")
    rows = [
        {
            "pk": s.pk,
            "site_name": s.site.name,
            "report": s.get_kind_display(),
            "since": s.created_at,
            "last_sent_for": s.last_sent_for,
            "still_allowed": can(user, Cap.INSIGHTS_READ, s.site_id),
        }
        for s in mine
    ]
    return render(request, "insights/subscriptions.html", {"rows": rows, "form": form})


@require_POST
def subscription_stop(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = StopForm(request.POST)
    if not form.is_valid():
        raise Http404
    subscription = subscriptions_for_user(user=user).filter(pk=form.cleaned_data["subscription"]).first()
    if subscription is None:
        raise Http404
    subscription_delete(acting_user=user, subscription=subscription)
    messages.success(
        request, f"You will no longer be sent the {subscription.get_kind_display().lower()} for {subscription.site}."
    )
    return redirect("insights:subscriptions")
