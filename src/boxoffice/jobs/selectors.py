"""Reads of jobs, scoped by the acting principal."""

from django.db.models import Q, QuerySet

from boxoffice.accounts.permissions import Principal
from boxoffice.jobs.models import Job, JobItem


def jobs_visible_to(principal: Principal) -> QuerySet[Job]:
    """A job is seen by who started it and, when it is about one organizer's orders, by the
    members of that organizer (platform staff: every organizer's)."""
    jobs = Job.objects.select_related("organizer", "user", "api_token")
    if principal.is_platform_staff:
        return jobs.filter(Q(organizer__isnull=False) | Q(user=principal.user))
    return jobs.filter(Q(organizer_id__in=principal.organizer_ids) | Q(user=principal.user))


def job_items(job: Job) -> QuerySet[JobItem]:
    return job.items.order_by("pk")
