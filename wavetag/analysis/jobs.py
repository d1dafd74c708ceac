"""The background job of the automatic analysis, run by the tasks framework's worker."""

from __future__ import annotations

from django_tasks import task


@task()
def analyse_record(run_id: int) -> str:
    """Carry out analysis run ``run_id``; its row says how it went (never raises for it)."""
    from .services import execute_run

    return execute_run(run_id).status
