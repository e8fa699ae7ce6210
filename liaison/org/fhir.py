"""A site's patient record system: its FHIR settings, and the client secret, which lives in the environment.

The secret is read from ``LIAISON_FHIR_CLIENT_SECRET_<SITE CODE>`` (or ``..._FILE``, a path to a file holding
it), never from the database: it is not shown on any page, not in exports or backups of the database, and
an administrator who changes the settings cannot read it back (docs/fhir.md).
"""

from __future__ import annotations

from django.conf import settings

from liaison.lib.env import env_str
from liaison.lib.fhir import FhirConfig
from liaison.org.models import Site


def secret_variable(site: Site) -> str:
    return f"LIAISON_FHIR_CLIENT_SECRET_{site.code}"


def has_secret(site: Site) -> bool:
    return bool(env_str(secret_variable(site)))


def lookup_offered(site: Site) -> bool:
    return bool(site.fhir_base_url)


def fhir_config(site: Site) -> FhirConfig | None:
    """The client settings of ``site``, or None where it has no patient record system."""
    if not site.fhir_base_url:
        return None
    return FhirConfig(
        base_url=site.fhir_base_url,
        token_url=site.fhir_token_url,
        client_id=site.fhir_client_id,
        client_secret=env_str(secret_variable(site)) if site.fhir_token_url else "",
        auth_method=site.fhir_auth_method,
        scope=site.fhir_scope,
        mrn_system=site.fhir_mrn_system,
    )


def time_budget() -> float:
    return float(settings.LIAISON_FHIR_TIMEOUT_SECONDS)
