"""Downloads under /insights/exports/."""

from django.urls import URLPattern, path, register_converter

from liaison.insights import export_views


class _Format:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_Format, "table_format")

urlpatterns: list[URLPattern] = [
    path("cases.<table_format:fmt>", export_views.export_cases, name="export_cases"),
]
