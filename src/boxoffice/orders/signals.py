"""What the orders app tells the apps above it (DESIGN §2: they subscribe, orders never imports
them)."""

from django.dispatch import Signal

# Sent by orders.history for every history row, inside the transaction that wrote it, with
# ``event`` (the OrderEvent) and ``actor`` (the orders.actors.Actor who caused it, for rows the
# receiver writes in turn). Receivers run in that transaction, so what they write commits with
# the change, or not at all. They run in the order their apps are installed: payments
# (attention), then notifications (emails), then webhooks.
order_event_recorded = Signal()
