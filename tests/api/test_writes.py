"""PATCH and POST endpoints: the back office's buttons, through the same services.

`order_in("paid")` is a Paytrail order of 2 x 49.00 + 2 x 2.50 service fees = 103.00 paid
through transaction "PT-1": 98.00 of it is refundable.
"""

from decimal import Decimal

import pytest

from boxoffice.accounts.models import Role
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.models import (
    ActorKind,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
    TicketState,
)
from boxoffice.orders.services import order_cancel
from boxoffice.payments.models import Refund, RefundSource, RefundState

S = OrderStatus
K = OrderEventKind
TOKEN_LABEL = "API: manager test"  # the `api` fixture's token, as the history names it


def last_event(order: Order, kind: str) -> OrderEvent:
    return order.history.filter(kind=kind).latest("pk")


def assert_by_token(event: OrderEvent, label: str = TOKEN_LABEL) -> None:
    assert (event.actor_kind, event.actor_label, event.actor_user) == (
        ActorKind.API_TOKEN,
        label,
        None,
    )


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


# -- PATCH /orders/{code} ----------------------------------------------------------------------


def test_patch_order_changes_only_the_fields_sent(api, order_in):
    order = order_in(S.PAID)
    response = api.patch(f"/orders/{order.code}", {"phone": "+358 40 123 4567", "language": "en"})
    assert response.status_code == 200
    data = response.json()
    assert (data["customer_phone"], data["language"]) == ("+358 40 123 4567", "en")
    assert (data["customer_email"], data["customer_name"]) == (
        "maija.meikalainen@example.com",
        "Maija Meikäläinen",
    )
    order.refresh_from_db()
    assert (order.customer_phone, order.language) == ("+358 40 123 4567", "en")
    event = last_event(order, K.CUSTOMER_UPDATED)
    assert_by_token(event)
    assert set(event.data["changes"]) == {"customer_phone", "language"}


def test_patch_order_with_nothing_new_writes_no_history(api, order_in):
    order = order_in(S.PAID)
    before = order.history.count()
    response = api.patch(f"/orders/{order.code}", {"email": order.customer_email})
    assert response.status_code == 200
    assert order.history.count() == before


def test_patch_order_with_a_bad_email_is_refused_and_changes_nothing(api, order_in, snapshot):
    order = order_in(S.PAID)
    before = snapshot(order)
    assert_refused(api.patch(f"/orders/{order.code}", {"email": "not-an-email"}), 422, "refused")
    assert snapshot(order) == before


def test_patch_order_with_an_unknown_language_is_invalid(api, order_in, snapshot):
    order = order_in(S.PAID)
    before = snapshot(order)
    error = assert_refused(api.patch(f"/orders/{order.code}", {"language": "de"}), 422, "invalid")
    assert "language" in error["fields"]
    assert snapshot(order) == before


def test_text_with_a_nul_character_is_invalid(api, order_in, snapshot):
    # PostgreSQL cannot store it; Django's forms refuse it the same way.
    order = order_in(S.PAID)
    before = snapshot(order)
    error = assert_refused(api.patch(f"/orders/{order.code}", {"name": "a\x00b"}), 422, "invalid")
    assert error["fields"] == {"name": ["Value error, Null characters are not allowed."]}
    assert_refused(api.post("/orders/AB%00CD/cancel"), 404, "not_found")
    assert snapshot(order) == before


# -- PATCH /orders/{code}/tickets/{id} ---------------------------------------------------------


def test_patch_ticket_sets_the_participant(api, order_in):
    order = order_in(S.PAID)
    ticket = order.tickets.order_by("pk").first()
    response = api.patch(
        f"/orders/{order.code}/tickets/{ticket.pk}",
        {"name": "Matti Virtanen", "email": "matti@example.com"},
    )
    assert response.status_code == 200
    assert response.json()["participant_name"] == "Matti Virtanen"
    assert response.json()["id"] == ticket.pk
    ticket.refresh_from_db()
    assert (ticket.participant_name, ticket.participant_email) == (
        "Matti Virtanen",
        "matti@example.com",
    )
    event = last_event(order, K.PARTICIPANT_UPDATED)
    assert_by_token(event)
    assert event.ticket_id == ticket.pk

    # Partial: the email stays when only the name is sent.
    api.patch(f"/orders/{order.code}/tickets/{ticket.pk}", {"name": "M. Virtanen"})
    ticket.refresh_from_db()
    assert (ticket.participant_name, ticket.participant_email) == (
        "M. Virtanen",
        "matti@example.com",
    )


def test_patch_a_ticket_of_another_order_is_404(api, order_in, snapshot):
    order, other = order_in(S.PAID), order_in(S.PAID)
    ticket = other.tickets.first()
    before = snapshot(other)
    response = api.patch(f"/orders/{order.code}/tickets/{ticket.pk}", {"name": "X"})
    assert_refused(response, 404, "not_found")
    assert snapshot(other) == before


def test_patch_a_void_ticket_is_refused_and_changes_nothing(api, order_in, snapshot):
    order = order_in(S.CANCELLED)
    ticket = order.tickets.first()
    before = snapshot(order)
    response = api.patch(f"/orders/{order.code}/tickets/{ticket.pk}", {"name": "X"})
    assert_refused(response, 422, "refused")
    assert snapshot(order) == before


# -- cancel ------------------------------------------------------------------------------------


def test_cancel_voids_the_tickets_and_answers_the_cancelled_order(api, order_in):
    order = order_in(S.PAID)
    response = api.post(f"/orders/{order.code}/cancel", {"reason": "Band sick", "notify": False})
    assert response.status_code == 200
    data = response.json()
    assert data["refund"] is None
    assert data["order"]["status"] == "cancelled"
    assert [t["state"] for t in data["order"]["tickets"]] == ["void", "void"]
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert set(order.tickets.values_list("state", flat=True)) == {TicketState.VOID}
    event = last_event(order, K.CANCELLED)
    assert_by_token(event)
    assert event.data["reason"] == "Band sick"
    # notify: false sends no cancellation notice.
    assert not order.emails.filter(kind="cancellation").exists()


def test_cancel_tells_the_customer_by_default(api, order_in):
    order = order_in(S.PAID)
    assert api.post(f"/orders/{order.code}/cancel").status_code == 200
    assert order.emails.filter(kind="cancellation").count() == 1


def test_cancelling_a_cancelled_order_again_changes_nothing(api, order_in, snapshot):
    order = order_in(S.CANCELLED)
    before = snapshot(order)
    response = api.post(f"/orders/{order.code}/cancel", {"reason": "again"})
    assert response.status_code == 200
    assert response.json()["order"]["status"] == "cancelled"
    assert snapshot(order) == before


def test_cancel_of_a_returned_order_is_a_conflict_and_changes_nothing(api, order_in, snapshot):
    order = order_in(S.RETURNED)
    before = snapshot(order)
    assert_refused(api.post(f"/orders/{order.code}/cancel"), 409, "conflict")
    assert snapshot(order) == before


# -- refund, cancel-and-refund, mark-refunded --------------------------------------------------


def test_refund_sends_the_refundable_amount_through_paytrail(api, order_in, paytrail, run_tasks):
    order = order_in(S.CANCELLED)
    response = api.post(f"/orders/{order.code}/refund")
    assert response.status_code == 200
    data = response.json()
    assert (data["refund"]["amount"], data["refund"]["state"], data["refund"]["source"]) == (
        "98.00",
        "pending",
        "paytrail",
    )
    assert [r["id"] for r in data["order"]["refunds"]] == [data["refund"]["id"]]
    assert_by_token(last_event(order, K.REFUND_REQUESTED))
    assert paytrail.refunds == []  # sent by the worker, not inside the request
    run_tasks()
    [sent] = paytrail.refunds
    assert sent["amount"] == 9800
    order.refresh_from_db()
    assert order.status == S.RETURNED
    assert api.get(f"/orders/{order.code}").json()["refunds"][0]["state"] == "succeeded"


def test_refund_of_an_invoice_order_goes_to_the_platform_queue(api, place, product, actor):
    from boxoffice.payments.marking import order_mark_paid

    order = place(product, method=PaymentMethod.INVOICE)
    order = order_mark_paid(order=order, actor=actor, reference="INV-1")
    order = order_cancel(order=order, actor=actor)
    response = api.post(f"/orders/{order.code}/refund")
    assert response.status_code == 200
    assert response.json()["refund"]["state"] == RefundState.MANUAL_REQUESTED
    assert Refund.objects.get().source == RefundSource.PLATFORM_MANUAL


def test_refund_of_an_order_not_cancelled_is_a_conflict(api, order_in, snapshot):
    order = order_in(S.PAID)
    before = snapshot(order)
    error = assert_refused(api.post(f"/orders/{order.code}/refund"), 409, "conflict")
    assert "Cancel the order first" in error["message"]
    assert snapshot(order) == before


def test_refund_of_a_returned_order_answers_its_refund(api, order_in, snapshot):
    order = order_in(S.RETURNED)
    before = snapshot(order)
    response = api.post(f"/orders/{order.code}/refund")
    assert response.status_code == 200
    assert response.json()["refund"]["id"] == Refund.objects.get(order=order).pk
    assert snapshot(order) == before


def test_cancel_and_refund_does_both(api, order_in, paytrail):
    order = order_in(S.PAID)
    response = api.post(f"/orders/{order.code}/cancel-and-refund", {"reason": "Event moved"})
    assert response.status_code == 200
    data = response.json()
    assert data["order"]["status"] == "cancelled"
    assert (data["refund"]["amount"], data["refund"]["state"]) == ("98.00", "pending")
    assert_by_token(last_event(order, K.CANCELLED))
    assert_by_token(last_event(order, K.REFUND_REQUESTED))


def test_cancel_and_refund_without_a_refund_service_is_refused(
    api, place, product, actor, snapshot
):
    from boxoffice.payments.marking import order_mark_paid_by_hand

    order = place(product, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    order = order_mark_paid_by_hand(order=order, actor=actor, reference="cash")
    before = snapshot(order)
    error = assert_refused(api.post(f"/orders/{order.code}/cancel-and-refund"), 422, "refused")
    assert "no refund service" in error["message"]
    assert snapshot(order) == before


def test_cancel_and_refund_of_an_unpaid_reservation_is_refused(api, place, product, snapshot):
    order = place(product, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    before = snapshot(order)
    error = assert_refused(api.post(f"/orders/{order.code}/cancel-and-refund"), 422, "refused")
    assert "use Cancel order" in error["message"]
    assert snapshot(order) == before


def test_cancel_and_refund_of_an_unpaid_paytrail_order_only_cancels(api, order_in):
    # As the back office: Paytrail orders have a refund service, and nothing was paid.
    order = order_in(S.RESERVED)
    response = api.post(f"/orders/{order.code}/cancel-and-refund")
    assert response.status_code == 200
    assert (response.json()["order"]["status"], response.json()["refund"]) == ("cancelled", None)


def test_mark_refunded_returns_the_cancelled_order(api, order_in):
    order = order_in(S.CANCELLED)
    response = api.post(
        f"/orders/{order.code}/mark-refunded", {"reference": "BANK-77", "note": "by phone"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["order"]["status"] == "returned"
    assert (data["refund"]["amount"], data["refund"]["reference"], data["refund"]["source"]) == (
        "98.00",
        "BANK-77",
        "external",
    )
    event = last_event(order, K.MARKED_REFUNDED)
    assert_by_token(event)
    assert event.data["note"] == "by phone"


def test_mark_refunded_of_a_paid_order_is_a_conflict(api, order_in, snapshot):
    order = order_in(S.PAID)
    before = snapshot(order)
    assert_refused(api.post(f"/orders/{order.code}/mark-refunded"), 409, "conflict")
    assert snapshot(order) == before


# -- mark-paid ---------------------------------------------------------------------------------


def test_mark_paid_records_an_invoice_payment(api, order_in):
    order = order_in(S.INVOICING)
    response = api.post(f"/orders/{order.code}/mark-paid", {"reference": "INV-2026-7"})
    assert response.status_code == 200
    data = response.json()
    assert data["order"]["status"] == "paid"
    assert [(p["amount"], p["provider_reference"]) for p in data["order"]["payments"]] == [
        ("103.00", "INV-2026-7")
    ]
    assert_by_token(last_event(order, K.PAID))


def test_mark_paid_of_a_paytrail_order_is_refused(api, order_in, snapshot):
    order = order_in(S.RESERVED)
    before = snapshot(order)
    assert_refused(api.post(f"/orders/{order.code}/mark-paid"), 422, "refused")
    assert snapshot(order) == before


# -- resend-tickets ----------------------------------------------------------------------------


def test_resend_tickets_queues_the_email(api, order_in):
    order = order_in(S.PAID)
    response = api.post(f"/orders/{order.code}/resend-tickets", {"to": "boss@example.com"})
    assert response.status_code == 200
    assert response.json()["order"]["code"] == order.code
    message = EmailMessage.objects.filter(order=order, kind="resend_tickets").get()
    assert message.to == "boss@example.com"
    assert_by_token(last_event(order, K.EMAIL_QUEUED))
    api.post(f"/orders/{order.code}/resend-tickets")
    assert order.emails.filter(kind="resend_tickets").latest("pk").to == order.customer_email


def test_resend_to_a_bad_address_is_invalid_and_changes_nothing(api, order_in, snapshot):
    order = order_in(S.PAID)
    before = snapshot(order)
    response = api.post(f"/orders/{order.code}/resend-tickets", {"to": "nope"})
    assert assert_refused(response, 422, "invalid")["fields"] == {
        "to": ["Enter a valid email address."]
    }
    assert snapshot(order) == before


def test_resend_of_a_cancelled_orders_tickets_is_refused(api, order_in, snapshot):
    order = order_in(S.CANCELLED)
    before = snapshot(order)
    assert_refused(api.post(f"/orders/{order.code}/resend-tickets"), 422, "refused")
    assert snapshot(order) == before


# -- documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [("tickets.pdf", K.TICKETS_DOWNLOADED), ("receipt.pdf", K.RECEIPT_DOWNLOADED)],
)
def test_documents_are_pdfs_and_the_download_is_in_the_history(
    api_for, organizer, order_in, path, kind
):
    order = order_in(S.PAID)
    viewer = api_for(organizer, Role.VIEWER)
    response = viewer.get(f"/orders/{order.code}/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"%PDF")
    assert_by_token(last_event(order, kind), "API: viewer test")


def test_receipt_of_an_unpaid_order_is_a_json_refusal(api, order_in, snapshot):
    order = order_in(S.RESERVED)
    before = snapshot(order)
    response = api.get(f"/orders/{order.code}/receipt.pdf")
    assert response["Content-Type"].startswith("application/json")
    assert_refused(response, 422, "refused")
    assert snapshot(order) == before


def test_tickets_of_a_cancelled_order_are_a_json_refusal(api, order_in):
    order = order_in(S.CANCELLED)
    assert_refused(api.get(f"/orders/{order.code}/tickets.pdf"), 422, "refused")


def test_openapi_declares_the_pdfs_and_the_idempotency_key(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    pdf = paths["/api/v1/orders/{code}/receipt.pdf"]["get"]["responses"]["200"]
    assert list(pdf["content"]) == ["application/pdf"]
    cancel = paths["/api/v1/orders/{code}/cancel"]["post"]
    headers = [p["name"] for p in cancel["parameters"] if p["in"] == "header"]
    assert headers == ["Idempotency-Key"]
    assert "patch" in paths["/api/v1/orders/{code}"]
    assert "get" in paths["/api/v1/orders/{code}"]


# -- placing an order --------------------------------------------------------------------------


def placement(product, **overrides) -> dict:
    body = {
        "lines": [
            {
                "product_id": product.pk,
                "quantity": 2,
                "participants": [{"name": "Aino", "email": "aino@example.com"}],
            }
        ],
        "customer": {"email": "buyer@example.com", "name": "Bo Buyer", "language": "en"},
        "payment_method": "paytrail",
    }
    body.update(overrides)
    return body


def test_place_an_order_answers_201_with_the_payment_url(api, product):
    response = api.post(f"/events/{product.event_id}/orders", placement(product))
    assert response.status_code == 201
    data = response.json()
    order = Order.objects.get(code=data["code"])
    assert data["payment_url"].endswith(f"/o/{order.code}/{order.secret}/")
    assert (data["status"], data["total"], data["customer_email"], data["language"]) == (
        "reserved",
        "103.00",
        "buyer@example.com",
        "en",
    )
    assert [(t["participant_name"], t["participant_email"]) for t in data["tickets"]] == [
        ("Aino", "aino@example.com"),
        ("", ""),
    ]
    assert_by_token(last_event(order, K.PLACED))


def test_a_free_order_is_paid_at_once(api, make_product, event):
    free = make_product(event, name="Guest list", price=Decimal("0"), service_fee=Decimal("0"))
    response = api.post(f"/events/{event.pk}/orders", placement(free, payment_method="free"))
    assert response.status_code == 201
    assert response.json()["status"] == "paid"


def test_too_few_tickets_left_is_a_409_that_says_so(api, make_product, event, counts):
    last = make_product(event, name="Backstage", capacity=1)
    before = counts()
    response = api.post(f"/events/{event.pk}/orders", placement(last))
    error = assert_refused(response, 409, "capacity_exceeded")
    assert error["message"] == "Only 1 ticket left for Backstage."
    assert counts() == before


def test_a_product_of_another_event_is_invalid(api, product, make_event, organizer, counts):
    other_event = make_event(organizer, name="Another fest")
    before = counts()
    response = api.post(f"/events/{other_event.pk}/orders", placement(product))
    error = assert_refused(response, 422, "invalid")
    assert error["fields"] == {"lines.0.product_id": ["A product does not belong to this event."]}
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer": {"email": "nope"}}, "customer.email"),
        ({"payment_method": "cash"}, "payment_method"),
        ({"lines": []}, "lines"),
    ],
)
def test_a_bad_placement_is_invalid_and_places_nothing(api, product, counts, change, field):
    before = counts()
    response = api.post(f"/events/{product.event_id}/orders", placement(product, **change))
    assert field in assert_refused(response, 422, "invalid")["fields"]
    assert counts() == before


def test_more_participants_than_tickets_is_invalid(api, product, counts):
    body = placement(product)
    body["lines"][0]["quantity"] = 1
    body["lines"][0]["participants"] *= 2
    before = counts()
    error = assert_refused(api.post(f"/events/{product.event_id}/orders", body), 422, "invalid")
    assert list(error["fields"]) == ["lines.0.participants"]
    assert counts() == before


def test_reserved_by_platform_needs_a_platform_token(api, api_for, product, counts):
    body = placement(product, payment_method="reserved_by_platform")
    before = counts()
    assert_refused(api.post(f"/events/{product.event_id}/orders", body), 403, "forbidden")
    assert counts() == before
    response = api_for(None).post(f"/events/{product.event_id}/orders", body)
    assert response.status_code == 201
    assert response.json()["payment_method"] == "reserved_by_platform"


# -- check-in ----------------------------------------------------------------------------------


def test_checkin_lets_a_paid_ticket_in_once(api_for, organizer, order_in):
    order = order_in(S.PAID)
    ticket = order.tickets.order_by("pk").first()
    door = api_for(organizer, Role.SUPPORT)
    body = {"event_id": order.event_id, "secret": ticket.secret}
    first = door.post("/checkin", body)
    assert first.status_code == 200
    assert first.json()["answer"] == "ok"
    assert first.json()["order_code"] == order.code
    assert first.json()["ticket"] == {"product": "Day ticket", "participant_name": ""}
    assert_by_token(last_event(order, K.CHECKED_IN), "API: support test")
    second = door.post("/checkin", body).json()
    assert second["answer"] == "already_checked_in"
    assert second["checked_in_at"] == first.json()["checked_in_at"]
    assert order.history.filter(kind=K.CHECKED_IN).count() == 1


def test_checkin_of_an_unknown_code_says_unknown(api, event):
    response = api.post("/checkin", {"event_id": event.pk, "secret": "ABCDEFGHIJKLMNOPQRST"})
    assert response.json() == {
        "answer": "unknown",
        "checked_in_at": None,
        "ticket": None,
        "order_code": None,
    }


def test_another_organizers_ticket_is_unknown_at_our_door(
    api, event, place, make_event, make_product, other_organizer, actor
):
    from boxoffice.payments.marking import order_mark_paid

    foreign = place(make_product(make_event(other_organizer)), method=PaymentMethod.INVOICE)
    order_mark_paid(order=foreign, actor=actor)
    secret = foreign.tickets.first().secret
    response = api.post("/checkin", {"event_id": event.pk, "secret": secret})
    assert response.json()["answer"] == "unknown"
    assert not foreign.tickets.filter(checked_in_at__isnull=False).exists()


# -- every write is the token's in the history -------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("patch", "/orders/{code}", S.PAID),
        ("patch", "/orders/{code}/tickets/{ticket}", S.PAID),
        ("post", "/orders/{code}/cancel", S.PAID),
        ("post", "/orders/{code}/refund", S.CANCELLED),
        ("post", "/orders/{code}/cancel-and-refund", S.PAID),
        ("post", "/orders/{code}/mark-refunded", S.CANCELLED),
        ("post", "/orders/{code}/mark-paid", S.INVOICING),
        ("post", "/orders/{code}/resend-tickets", S.PAID),
        ("get", "/orders/{code}/tickets.pdf", S.PAID),
        ("get", "/orders/{code}/receipt.pdf", S.PAID),
    ],
)
def test_every_history_row_a_write_adds_names_the_token(api, order_in, method, path, status):
    order = order_in(status)
    last = order.history.latest("pk").pk
    url = path.format(code=order.code, ticket=order.tickets.first().pk)
    if method == "patch":
        response = api.patch(url, {"name": "Someone Else"})
    else:
        response = getattr(api, method)(url)
    assert response.status_code == 200, response.content
    added = list(order.history.filter(pk__gt=last))
    assert added
    for event in added:
        assert_by_token(event)
