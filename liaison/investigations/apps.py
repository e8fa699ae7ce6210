from typing import Any

from django.apps import AppConfig


def _requests_panel(case: Any, show_identity: bool) -> dict[str, Any]:
    from liaison.investigations.models import InvestigationRequest

    requests = (
        InvestigationRequest.objects.filter(case=case)
        .select_related("department", "answered_by")
        .prefetch_related("findings__issue", "evidence")
    )
    return {"requests": requests}


class InvestigationsConfig(AppConfig):
    name = "liaison.investigations"
    label = "investigations"

    def ready(self) -> None:
        from liaison.cases.panels import register_case_panel

        register_case_panel(_requests_panel)
