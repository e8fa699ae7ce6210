from __future__ import annotations

from django_tasks import task

from liaison.feedback.models import FeedbackResponse


@task()
def analyse(pk: int) -> None:
    from liaison.feedback.services import response_analyse

    response = FeedbackResponse.objects.filter(pk=pk).first()
    if response is not None:
        response_analyse(response=response)


@task()
def analyse_pending() -> int:
    from liaison.feedback.services import analyse_pending_responses

    return analyse_pending_responses()


@task()
def import_jobs_sweep() -> int:
    """Mark failed the imports whose worker stopped, so none shows "running" for ever (the worker runs this)."""
    from liaison.feedback.imports import import_jobs_expire

    return import_jobs_expire()
