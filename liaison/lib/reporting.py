"""Error reports that cannot carry patient data.

Django's error e-mails and debug pages include POST bodies, local variables and cookies. In Liaison any
of those may hold a patient's name or a complaint's text, so reports keep only the request's shape.
"""

from __future__ import annotations

from collections.abc import ItemsView
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class NoPatientDataReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        if request is None:
            return {}
        return {key: self.cleansed_substitute for key in request.POST}

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> ItemsView[str, Any]:
        return {name: self.cleansed_substitute for name in tb_frame.f_locals}.items()
