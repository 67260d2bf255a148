"""`boxoffice expire_orders`: cancel unpaid orders past their deadline (the worker runs it too)."""

from typing import Any

from django.core.management.base import BaseCommand

from boxoffice.orders.expiry import orders_expire


class Command(BaseCommand):
    help = "Cancel reserved and invoicing orders whose payment deadline has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = orders_expire()
        self.stdout.write(f"{expired} order(s) expired.")
