"""Every back-office URL, so that tenancy and login tests cover a new URL or fail.

Adding a URL to ``boxoffice.backoffice.urls`` without adding it here makes
``test_every_backoffice_url_is_classified`` fail: decide whether it acts on one order
(``ORDER_URLS``: tested for 404 on foreign orders), on one event (``EVENT_URLS``,
``DOOR_LIST_URLS``) or lists orders (``LIST_URLS``).
"""

from typing import Any

from django.urls import reverse

from boxoffice.orders.models import Order, OrderStatus

# Check-in pages of one event (event id in the URL): tested for login, roles and 404 on other
# organizers' events in tests/checkin/test_checkin_page.py.
EVENT_URLS: list[tuple[str, str]] = [
    ("checkin_event", "GET"),
    ("checkin_event", "POST"),
    ("checkin_device_create", "POST"),
    ("checkin_device_revoke", "POST"),
]
# An event's door list (event id in the URL): any member may download it, another organizer's
# event is 404 (tests/backoffice/test_door_list.py).
DOOR_LIST_URLS = ("door_list_pdf", "door_list_csv")
LIST_URLS = ("home", "order_list", "checkin_events", "order_export", "order_bulk")
# API tokens of the organizers one manages (tests/backoffice/test_api_tokens.py).
TOKEN_URLS = ("api_tokens", "api_token_revoke")
# The owner's payment account page: anyone else gets 404 (test_paytrail_account.py).
OWNER_URLS = ("paytrail_account",)
# The person's own saved filters of the order list (tests/backoffice/test_saved_filters.py):
# POST only, they change nothing but the user's own row. Their own exports
# (tests/backoffice/test_export_background.py): anyone else's is 404.
USER_URLS = ("saved_filter_save", "saved_filter_delete", "export_list", "export_download")
# Events and their cancellation jobs (tests/backoffice/test_event_cancel_pages.py).
EVENT_JOB_URLS = (
    "event_list",
    "event_cancel",
    "job_detail",
    "job_pause",
    "job_resume",
    "job_retry",
    "job_results_csv",
)
# Messages to customers (tests/backoffice/test_message_pages.py): the list of one's own
# organizers' messages; writing one to the orders the list's query string selects (owners and
# managers; another organizer's orders select nothing).
MESSAGE_URLS = ("message_list", "message_new")
# Platform staff only: anyone else gets 404 (tests/backoffice/test_platform_refunds.py).
STAFF_URLS = ("platform_refunds", "platform_refund_complete")

# (url name, method, status the order must have for the request to succeed for its owner)
ORDER_URLS: list[tuple[str, str, str]] = [
    ("order_detail", "GET", OrderStatus.PAID),
    ("order_customer", "POST", OrderStatus.PAID),
    ("ticket_participant", "GET", OrderStatus.PAID),
    ("ticket_participant", "POST", OrderStatus.PAID),
    ("order_mark_paid", "GET", OrderStatus.INVOICING),
    ("order_mark_paid", "POST", OrderStatus.INVOICING),
    ("order_cancel", "GET", OrderStatus.PAID),
    ("order_cancel", "POST", OrderStatus.PAID),
    ("order_tickets_pdf", "GET", OrderStatus.PAID),
    ("ticket_pdf", "GET", OrderStatus.PAID),
    ("order_receipt_pdf", "GET", OrderStatus.PAID),
    ("order_resend", "GET", OrderStatus.PAID),
    ("order_resend", "POST", OrderStatus.PAID),
    ("order_refund", "GET", OrderStatus.CANCELLED),
    ("order_refund", "POST", OrderStatus.CANCELLED),
    ("order_cancel_and_refund", "GET", OrderStatus.PAID),
    ("order_cancel_and_refund", "POST", OrderStatus.PAID),
    ("order_mark_refunded", "GET", OrderStatus.CANCELLED),
    ("order_mark_refunded", "POST", OrderStatus.CANCELLED),
    ("order_accept_return", "GET", OrderStatus.RETURN_REQUESTED),
    ("order_accept_return", "POST", OrderStatus.RETURN_REQUESTED),
    ("order_decline_return", "GET", OrderStatus.RETURN_REQUESTED),
    ("order_decline_return", "POST", OrderStatus.RETURN_REQUESTED),
    ("attention_dismiss", "POST", OrderStatus.PAID),
    ("order_comment_add", "POST", OrderStatus.PAID),
    ("order_comment_edit", "POST", OrderStatus.PAID),
]

POST_DATA: dict[str, dict[str, str]] = {
    "order_customer": {
        "email": "intruder@example.com",
        "name": "Intruder",
        "phone": "+358400000000",
        "language": "en",
    },
    "ticket_participant": {"name": "Intruder", "email": "intruder@example.com"},
    "order_mark_paid": {"reference": "INTRUDER"},
    "order_cancel": {"reason": "intruder", "money": "refund"},
    "order_refund": {},
    "order_resend": {"to": ""},
    "order_cancel_and_refund": {"reason": "intruder"},
    "order_mark_refunded": {"reference": "INTRUDER", "note": "intruder"},
    "order_accept_return": {},
    "order_decline_return": {"reason": "intruder"},
    "attention_dismiss": {"note": "intruder"},
    "order_comment_add": {"text": "intruder"},
    "order_comment_edit": {"text": "intruder"},
}


def attention_item(order: Order, *, another_transaction: bool = False) -> Any:
    """An open attention item of the order: a Paytrail message that contradicted its payment
    (its amount; or, with ``another_transaction``, its transaction: a second reason)."""
    from boxoffice.orders.actors import Actor
    from boxoffice.payments.discrepancies import discrepancy_record

    payment = order.payments.get()
    kind, expected, received = ("amount", str(int(payment.amount * 100)), "1")
    if another_transaction:
        kind, expected, received = ("transaction", payment.provider_reference or "-", "other")
    found = discrepancy_record(
        order=order,
        actor=Actor.system("Paytrail"),
        source="callback",
        kind=kind,
        expected=expected,
        received=received,
        message={f"checkout-{kind}": received},
        payment=payment,
    )
    return order.attention_items.get(key=f"discrepancy:{found.pk}")


def a_comment(order: Order) -> Any:
    """A comment on the order by an owner of its organizer (who may edit it for a while)."""
    from boxoffice.accounts.models import Membership, Role, User
    from boxoffice.orders.actors import Actor
    from boxoffice.orders.services import order_comment_add

    found = order.comments.order_by("pk").first()
    if found is not None:
        return found
    author = (
        User.objects.filter(
            memberships__organizer_id=order.organizer_id, memberships__role=Role.OWNER
        )
        .order_by("pk")
        .first()
    )
    if author is None:
        author = User.objects.create_user(f"author.{order.organizer_id}@example.com", "x")
        Membership.objects.create(user=author, organizer_id=order.organizer_id, role=Role.OWNER)
    return order_comment_add(order=order, actor=Actor.for_user(author), text="Called the buyer")


def order_url(name: str, order: Order) -> str:
    if name == "order_comment_edit":
        return reverse(f"backoffice:{name}", args=[order.code, a_comment(order).pk])
    if name == "attention_dismiss":
        item = order.attention_items.first() or attention_item(order)
        return reverse(f"backoffice:{name}", args=[order.code, item.pk])
    if name in ("ticket_participant", "ticket_pdf"):
        ticket = order.tickets.order_by("pk").first()
        assert ticket is not None
        return reverse(f"backoffice:{name}", args=[order.code, ticket.pk])
    return reverse(f"backoffice:{name}", args=[order.code])


def request(client: Any, method: str, name: str, order: Order) -> Any:
    url = order_url(name, order)
    if method == "GET":
        return client.get(url)
    return client.post(url, POST_DATA[name])


def ids(routes: list[tuple[str, str, str]]) -> list[str]:
    return [f"{method} {name}" for name, method, _status in routes]
