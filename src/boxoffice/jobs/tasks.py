"""The jobs' one task: run (or go on with) a job; safe to run twice or late."""

from django_tasks import task


@task()
def job_run(job_id: int) -> str:
    # The runner imports the handlers' registry, which imports this module to enqueue.
    from boxoffice.jobs.runner import run

    return run(job_id)
