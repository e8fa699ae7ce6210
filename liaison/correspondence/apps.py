from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_letter_templates(sender: Any, **kwargs: Any) -> None:
    from liaison.correspondence.services import templates_sync

    templates_sync()


def _letters_panel(case: Any, show_identity: bool) -> dict[str, Any]:
    from liaison.correspondence.models import Letter

    return {"letters": Letter.objects.filter(case=case).order_by("-pk") if show_identity else []}


class CorrespondenceConfig(AppConfig):
    name = "liaison.correspondence"
    label = "correspondence"

    def ready(self) -> None:
        # Shipped templates become version 1 after every migrate (existing ones are left alone).
        post_migrate.connect(_load_letter_templates, sender=self)
        from liaison.cases.panels import register_case_panel

        register_case_panel(_letters_panel)
