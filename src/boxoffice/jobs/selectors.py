"""Reads of jobs, scoped by the acting principal."""

from django.db.models import Q, QuerySet

from boxoffice.accounts.permissions import Principal
from boxoffice.jobs.models import Job, JobItem


def jobs_visible_to(principal: Principal) -> QuerySet[Job]:
    """A job about one organizer's orders is seen by the members of that organizer, as they
    stand now (platform staff: every organizer's); one about several organizers' (or none
    yet) by who started it. Who started a job and was removed from its organizer since is a
    stranger to its orders, and so to its page, its results and its buttons."""
    jobs = Job.objects.select_related("organizer", "user", "api_token")
    own = Q(user=principal.user, organizer__isnull=True)
    if principal.is_platform_staff:
        return jobs.filter(Q(organizer__isnull=False) | own)
    return jobs.filter(Q(organizer_id__in=principal.organizer_ids) | own)


def job_items(job: Job) -> QuerySet[JobItem]:
    return job.items.order_by("pk")
