from typing import Any

from django.apps import AppConfig


def _undelivered_panel(case: Any, show_identity: bool) -> dict[str, Any]:
    from liaison.inbound.automatic import undelivered_letters

    return {"undelivered_letters": undelivered_letters(case) if show_identity else []}


class InboundConfig(AppConfig):
    name = "liaison.inbound"
    label = "inbound"
    verbose_name = "Inbound email"

    def ready(self) -> None:
        from liaison.inbound.imap import poll_register

        poll_register()
        # Inbound sits above cases: the case page learns of bounced letters through its panel hook.
        from liaison.cases.panels import register_case_panel

        register_case_panel(_undelivered_panel)
