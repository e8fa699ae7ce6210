from django.contrib.auth.decorators import login_not_required
from django.urls import path

from liaison.accounts import sso, token_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("sso/start/", login_not_required(sso.ProviderStartView.as_view()), name="sso-start"),
    path("sso/callback/", login_not_required(sso.ProviderCallbackView.as_view()), name="sso-callback"),
    path("mfa/verify/", views.mfa_verify, name="mfa-verify"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa-enrol"),
    path("mfa/recovery-codes/", views.mfa_recovery_codes, name="mfa-recovery-codes"),
    path("mfa/recovery-codes/new/", views.mfa_regenerate_codes, name="mfa-regenerate-codes"),
    path("account/", views.account, name="account"),
    path("account/tokens/", token_views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", token_views.token_revoke_view, name="token-revoke"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("password/reset/complete/", views.password_reset_done, name="password-reset-done"),
]
