from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from liaison.accounts import services
from liaison.accounts.forms import EmailLoginForm, EnrolForm, TokenForm
from liaison.accounts.mfa import is_verified
from liaison.accounts.middleware import SIGNED_IN_HINT_COOKIE
from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record
from liaison.lib.errors import ApplicationError
from liaison.lib.ratelimit import allow, client_key, key_for

_RECOVERY_SESSION_KEY = "liaison_new_recovery_codes"


def _safe_next(request: HttpRequest, default: str = "home:my-work") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path: redirect() would read any other word as the name of a URL, and fail on an unknown one.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = EmailLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # This browser was signed in and no longer is, without signing out: the idle timeout ended it.
        timed_out = self.request.method == "GET" and SIGNED_IN_HINT_COOKIE in self.request.COOKIES
        self.request.liaison_hint_consumed = timed_out  # type: ignore[attr-defined]
        context["timed_out"] = timed_out
        context["sso_provider_name"] = settings.LIAISON_OIDC_PROVIDER_NAME if settings.LIAISON_OIDC_ISSUER else ""
        return context


@login_not_required
def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request, "accounts/locked_out.html", {"minutes": minutes, "failures": settings.AXES_FAILURE_LIMIT}, status=429
    )


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response.delete_cookie(SIGNED_IN_HINT_COOKIE, samesite="Lax")
        return response


@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if is_verified(user):
        return redirect(_safe_next(request))
    if not services.mfa_is_enrolled(user):
        return redirect("accounts:mfa-enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = django_otp.match_token(user, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            used_recovery = device.persistent_id.startswith("otp_static")
            details: dict[str, Any] = {"method": "recovery_code" if used_recovery else "totp"}
            if used_recovery:
                details["recovery_codes_left"] = device.token_set.count()
            audit_record(action="auth.mfa_verify", actor=user, obj=user, details=details)
            if used_recovery:
                messages.warning(
                    request,
                    f"You used a recovery code; {details['recovery_codes_left']} left. "
                    "Make new ones from your account page if you are running low.",
                )
            return redirect(_safe_next(request))
        audit_record(action="auth.mfa_failed", actor=user, obj=user)
        form.add_error("token", "That code did not work. Codes change every 30 seconds; try the current one.")
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if services.mfa_is_enrolled(user):
        # Re-enrolment happens only after an administrator's reset; otherwise verify as usual.
        return redirect("accounts:mfa-verify")
    device = services.mfa_pending_device(user=user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            codes = services.mfa_confirm_enrolment(user=user, device=device, token=form.cleaned_data["token"])
        except ApplicationError as exc:
            form.add_error("token", exc.message)
        else:
            django_otp.login(request, device)
            request.session[_RECOVERY_SESSION_KEY] = codes
            return redirect("accounts:mfa-recovery-codes")
    if device is None or request.method == "GET":
        device = services.mfa_start_enrolment(user=user)
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    secret = _base32(device.bin_key)
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": secret,
            "secret_grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode("ascii").rstrip("=")


@login_required
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(_RECOVERY_SESSION_KEY, None)
    if not codes:
        messages.info(
            request, "Recovery codes are shown only once. Make new ones from your account page if you need to."
        )
        return redirect("accounts:account")
    return render(request, "accounts/mfa_recovery_codes.html", {"codes": codes})


@login_required
@require_POST
def mfa_regenerate_codes(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    request.session[_RECOVERY_SESSION_KEY] = services.mfa_regenerate_recovery_codes(acting_user=user)
    return redirect("accounts:mfa-recovery-codes")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "accounts/account.html",
        {
            "sites": user.sites.all(),
            "departments": user.departments.select_related("site"),
            "mfa_enrolled": services.mfa_is_enrolled(user),
            "can_use_api": can(user, Cap.API_TOKEN_OWN),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(action="auth.password_change", actor=self.request.user, obj=self.request.user)  # type: ignore[arg-type]
        messages.success(self.request, "Your password has been changed.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-sent")

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        # Every request counts, whether or not the address has an account, so that being refused says
        # nothing about the address: the page is the same for a known one and an unknown one.
        if not _password_reset_allowed(self.request, email):
            audit_record(action="auth.password_reset_refused", details={"email": email, "reason": "too_many"})
            return render(self.request, "accounts/password_reset_busy.html", status=429)
        audit_record(action="auth.password_reset_requested", details={"email": email})
        return super().form_valid(form)


def _password_reset_allowed(request: HttpRequest, email: str) -> bool:
    """Per address, so one mailbox is not flooded; per connection, so addresses cannot be tried in bulk."""
    hour = timedelta(hours=1)
    if not allow("reset-ip", client_key(request), limit=settings.LIAISON_PASSWORD_RESETS_PER_CLIENT, window=hour):
        return False
    return allow("reset-email", key_for(email), limit=settings.LIAISON_PASSWORD_RESETS_PER_EMAIL, window=hour)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(action="auth.password_reset", actor=form.user, obj=form.user)
        return response


@login_not_required
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


@login_not_required
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_done.html")
