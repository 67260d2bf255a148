"""Who a job runs for, as they stand now: a job outlives the request that started it, and a
token revoked or a member removed meanwhile must stop it, not be acted for."""

from boxoffice.accounts.permissions import Principal, principal_for
from boxoffice.accounts.tokens import principal_of
from boxoffice.jobs.models import Job


def scope_of(principal: Principal) -> list[int] | str:
    """Whose orders a principal sees: "platform", or the organizers' ids."""
    return "platform" if principal.is_platform_staff else sorted(principal.organizer_ids)


def still_allowed(principal: Principal | None, scope: list[int] | str) -> bool:
    """Whether ``principal`` still sees everything an export made for ``scope`` may hold."""
    if principal is None:
        return False
    if principal.is_platform_staff:
        return True
    return scope != "platform" and set(scope) <= principal.organizer_ids


def principal_now(job: Job) -> Principal | None:
    """Who the job runs for, as they stand now; None for a revoked token or a person who can
    no longer log in."""
    if job.api_token is not None:
        return None if job.api_token.revoked_at else principal_of(job.api_token)
    if job.user is None or not job.user.is_active:
        return None
    return principal_for(job.user)
