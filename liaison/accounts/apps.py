from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "liaison.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.core import checks

        from liaison.accounts import signals  # noqa: F401  (connects the receivers)
        from liaison.accounts.sso import check_configuration

        checks.register(check_configuration, checks.Tags.security)
