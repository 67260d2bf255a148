"""Every page a person reaches in the back office and on the customer side, with the data that
fills it: the phone-layout and accessibility tests walk this one list.

A page is (name, who opens it, path, expected status). URL names live only here, so a renamed
or merged page (e.g. "Cancel order" and "Cancel and refund" becoming one) is a one-line edit.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from playwright.sync_api import Page, expect

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.services import refund_request

PHONE = {"width": 390, "height": 844}
# Long enough to push a careless layout sideways at 390 px.
LONG_EMAIL = "maija-liisa.meikalainen-virtanen@customer-service.example.com"

OWNER, STAFF, CUSTOMER = "owner", "staff", "customer"


@dataclass(frozen=True)
class SitePage:
    name: str
    who: str
    path: str
    status: int = 200


@dataclass(frozen=True)
class Orders:
    paid: Order
    return_requested: Order
    reserved: Order
    cancelled: Order  # cancelled with money still to refund


def seed(
    order_in: Callable[..., Order], place: Callable[..., Order], product: Product, owner: User
) -> Orders:
    """One order in each state the pages need, plus a manual refund in the platform's queue."""
    actor = Actor.for_user(owner)
    queued = place(product, method=PaymentMethod.EPASSI, email="queue@example.com")
    queued = order_mark_paid(order=queued, actor=actor, reference="EP-778899")
    refund_request(order=order_cancel(order=queued, actor=actor), actor=actor)
    return Orders(
        paid=order_in(OrderStatus.PAID, email=LONG_EMAIL),
        return_requested=order_in(OrderStatus.RETURN_REQUESTED),
        reserved=order_in(OrderStatus.RESERVED),
        cancelled=order_in(OrderStatus.CANCELLED),
    )


def back_office_pages(orders: Orders) -> list[SitePage]:
    paid, code = orders.paid, orders.paid.code
    ticket = paid.tickets.order_by("pk").first()
    assert ticket is not None

    def bo(name: str, url_name: str, *args: Any, query: str = "") -> SitePage:
        return SitePage(name, OWNER, reverse(f"backoffice:{url_name}", args=args) + query)

    return [
        bo("order-list", "order_list", query=f"?q={paid.customer_email}"),
        bo("order-detail-paid", "order_detail", code),
        bo("order-detail-return-requested", "order_detail", orders.return_requested.code),
        bo("cancel", "order_cancel", code),
        bo("cancel-return-requested", "order_cancel", orders.return_requested.code),
        bo("refund", "order_refund", orders.cancelled.code),
        bo("mark-paid", "order_mark_paid", orders.reserved.code),
        bo("resend", "order_resend", code),
        bo("participant", "ticket_participant", code, ticket.pk),
        bo("checkin-events", "checkin_events"),
        bo("checkin-event", "checkin_event", paid.event_id),
        bo("payment-account", "paytrail_account"),
        bo("api-tokens", "api_tokens"),
        bo("exports", "export_list"),
        bo("messages", "message_list"),
        bo("message-new", "message_new", query=f"?event={paid.event_id}"),
        SitePage("second-factor", OWNER, reverse("second_factor")),
        SitePage("refund-queue", STAFF, reverse("backoffice:platform_refunds")),
    ]


def customer_pages(orders: Orders) -> list[SitePage]:
    paid = orders.paid
    ticket = paid.tickets.order_by("pk").first()
    assert ticket is not None
    return [
        SitePage(
            "customer-order", CUSTOMER, reverse("customer:order", args=[paid.code, paid.secret])
        ),
        SitePage(
            "customer-participant",
            CUSTOMER,
            reverse("customer:participant", args=[paid.code, paid.secret, ticket.pk]),
        ),
        SitePage("customer-find-orders", CUSTOMER, reverse("customer:links")),
        # Back from Paytrail with a result that cannot be read: the page says what to do.
        SitePage(
            "payment-return",
            CUSTOMER,
            reverse("payments:paytrail_return", args=["ok"]),
            status=400,
        ),
        SitePage("not-found", CUSTOMER, "/no-such-page/", status=404),
    ]


def log_in(page: Page, base: str, user: User, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/backoffice/"))


def open_page(page: Page, base: str, site_page: SitePage) -> None:
    response = page.goto(base + site_page.path)
    assert response is not None
    assert response.status == site_page.status, (site_page.name, response.status)
