"""What happens to an event, for the apps above to follow (webhooks): sent inside the
transaction that made the change, so a listener's rows share its fate."""

from django.dispatch import Signal

# Sent with ``event`` (the Event, cancelled_at set) and ``job_id`` (the job cancelling its
# orders).
event_cancelled = Signal()
