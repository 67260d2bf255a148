"""checkin_scan: the door's one answer per code, the check-in it records, and the scan log.

ok (paid or return requested, first scan), already_checked_in (with the first time), void
(cancelled or returned), unpaid (reserved, invoicing), wrong_event (the organizer's ticket of
another event), unknown (anything else, another organizer's ticket included).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.checkin.models import CheckinDevice, Scan, ScanAnswer
from boxoffice.checkin.services import checkin_scan, device_actor, normalize_secret
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import ActorKind, OrderEventKind, OrderStatus, TicketState
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid

from .conftest import first_ticket, scans

SECRET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # the shape of orders.codes.new_ticket_secret()


def checked_in_rows(order):
    return list(
        order.history.filter(kind=OrderEventKind.CHECKED_IN).values_list("ticket_id", flat=True)
    )


# -- ok ----------------------------------------------------------------------------------------


def test_paid_ticket_is_checked_in_with_one_history_row_and_a_scan_log(
    event, order_in, actor, owner
):
    order = order_in(OrderStatus.PAID)
    ticket = first_ticket(order)

    result = checkin_scan(secret=ticket.secret, event=event, actor=actor)

    ticket.refresh_from_db()
    assert result.answer == ScanAnswer.OK
    assert result.checked_in_at is not None
    assert ticket.checked_in_at == result.checked_in_at
    assert result.ticket == ticket
    assert checked_in_rows(order) == [ticket.pk]
    entry = order.history.get(kind=OrderEventKind.CHECKED_IN)
    assert (entry.actor_kind, entry.actor_user, entry.actor_label) == (
        ActorKind.USER,
        owner,
        "Olli Omistaja",
    )
    # The order's other ticket is untouched.
    other = order.tickets.exclude(pk=ticket.pk).get()
    assert other.checked_in_at is None
    assert scans() == [(event.pk, ticket.pk, "ok", None, owner.pk)]
    assert Scan.objects.get().scanned_at == result.checked_in_at


def test_return_requested_order_is_still_paid_and_its_tickets_get_in(event, order_in, actor):
    ticket = first_ticket(order_in(OrderStatus.RETURN_REQUESTED))

    result = checkin_scan(secret=ticket.secret, event=event, actor=actor)

    assert result.answer == ScanAnswer.OK
    ticket.refresh_from_db()
    assert ticket.checked_in_at == result.checked_in_at


def test_second_scan_is_already_checked_in_with_the_first_time_and_changes_nothing(
    event, order_in, actor, snapshot
):
    order = order_in(OrderStatus.PAID)
    ticket = first_ticket(order)
    first = checkin_scan(secret=ticket.secret, event=event, actor=actor)
    before = snapshot(order)

    second = checkin_scan(secret=ticket.secret, event=event, actor=actor)
    third = checkin_scan(secret=ticket.secret.lower(), event=event, actor=actor)

    assert second.answer == third.answer == ScanAnswer.ALREADY_CHECKED_IN
    assert second.checked_in_at == third.checked_in_at == first.checked_in_at
    assert second.ticket == ticket
    assert snapshot(order) == before
    assert checked_in_rows(order) == [ticket.pk]
    assert [answer for _e, _t, answer, _d, _u in scans()] == [
        "ok",
        "already_checked_in",
        "already_checked_in",
    ]


def test_each_ticket_of_an_order_is_checked_in_on_its_own(event, order_in, actor):
    order = order_in(OrderStatus.PAID)
    tickets = list(order.tickets.order_by("pk"))

    answers = [checkin_scan(secret=t.secret, event=event, actor=actor).answer for t in tickets]

    assert answers == ["ok", "ok"]
    assert checked_in_rows(order) == [t.pk for t in tickets]


# -- rejected: nothing changes but the scan log ---------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (OrderStatus.CANCELLED, ScanAnswer.VOID),
        (OrderStatus.RETURNED, ScanAnswer.VOID),
        (OrderStatus.RESERVED, ScanAnswer.UNPAID),
        (OrderStatus.INVOICING, ScanAnswer.UNPAID),
    ],
)
def test_tickets_of_orders_not_paid_are_rejected_and_change_nothing(
    event, order_in, actor, snapshot, owner, status, answer
):
    order = order_in(status)
    ticket = first_ticket(order)
    before = snapshot(order)

    result = checkin_scan(secret=ticket.secret, event=event, actor=actor)

    assert result.answer == answer
    assert result.checked_in_at is None
    assert result.ticket == ticket  # this event's ticket: the door may see what it is
    assert snapshot(order) == before
    assert scans() == [(event.pk, ticket.pk, answer, None, owner.pk)]


def test_a_cancelled_orders_ticket_is_void_right_after_the_cancel(event, order_in, actor):
    order = order_in(OrderStatus.PAID)
    ticket = first_ticket(order)
    assert checkin_scan(secret=order.tickets.last().secret, event=event, actor=actor).answer == "ok"

    order = order_cancel(order=order, actor=actor, reason="sold twice")

    assert checkin_scan(secret=ticket.secret, event=event, actor=actor).answer == ScanAnswer.VOID
    # A ticket that was already let in is void now too: the door must not admit it again.
    again = checkin_scan(secret=order.tickets.last().secret, event=event, actor=actor)
    assert (again.answer, again.checked_in_at) == (ScanAnswer.VOID, None)


def test_a_void_ticket_of_an_open_order_is_void(event, order_in, actor):
    # Defensive: the ticket's own state decides even if the order still looks paid.
    order = order_in(OrderStatus.PAID)
    ticket = first_ticket(order)
    type(ticket).objects.filter(pk=ticket.pk).update(state=TicketState.VOID)

    assert checkin_scan(secret=ticket.secret, event=event, actor=actor).answer == ScanAnswer.VOID


def test_ticket_of_another_event_of_the_organizer_is_wrong_event_and_reveals_nothing(
    event, second_product, place, actor, snapshot, owner
):
    order = place(second_product, quantity=1)
    order = order_mark_paid(order=order, actor=actor)
    ticket = first_ticket(order)
    before = snapshot(order)

    result = checkin_scan(secret=ticket.secret, event=event, actor=actor)

    assert (result.answer, result.checked_in_at, result.ticket) == (
        ScanAnswer.WRONG_EVENT,
        None,
        None,
    )
    assert snapshot(order) == before
    assert scans() == [(event.pk, ticket.pk, "wrong_event", None, owner.pk)]


def test_wrong_event_whatever_the_tickets_state_there(event, second_product, place, actor):
    unpaid = first_ticket(place(second_product, quantity=1))

    assert checkin_scan(secret=unpaid.secret, event=event, actor=actor).answer == "wrong_event"


def test_another_organizers_ticket_is_unknown_and_not_linked_in_the_log(
    event, foreign_ticket, actor, snapshot, owner
):
    before = snapshot(foreign_ticket.order)

    result = checkin_scan(secret=foreign_ticket.secret, event=event, actor=actor)

    assert (result.answer, result.checked_in_at, result.ticket) == (ScanAnswer.UNKNOWN, None, None)
    assert snapshot(foreign_ticket.order) == before
    assert scans() == [(event.pk, None, "unknown", None, owner.pk)]


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "not a ticket",
        SECRET,  # well-formed, but no such ticket
        SECRET[:-1],
        "A" * 5000,
        "\x00" + SECRET,
        "' OR 1=1 --",
        "ÄÖÅ" * 11,
        "\ud800",
    ],
)
def test_anything_else_is_unknown(event, order_in, actor, owner, typed):
    order = order_in(OrderStatus.PAID)

    result = checkin_scan(secret=typed, event=event, actor=actor)

    assert (result.answer, result.checked_in_at, result.ticket) == (ScanAnswer.UNKNOWN, None, None)
    assert scans() == [(event.pk, None, "unknown", None, owner.pk)]
    assert checked_in_rows(order) == []


# -- typed codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        SECRET,
        SECRET.lower(),
        f"  {SECRET}\n",
        "ABCD EFGH IJKL MNOP QRST UVWX YZ23 4567",
        "abcd-efgh-ijkl-mnop-qrst-uvwx-yz23-4567",
        "ABCD\u2013EFGH\u2014IJKL\tMNOP QRST UVWX YZ23 4567",  # dashes a word processor makes
        "A8CDEFGH1JKLMN0PQRSTUVWXYZ234567",  # B, I and O read as 8, 1 and 0
    ],
)
def test_typed_code_is_read_as_printed(typed):
    assert normalize_secret(typed) == SECRET


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=64),
    st.lists(st.sampled_from([" ", "-", "\t", "  "]), max_size=8),
    st.randoms(use_true_random=False),
)
def test_spaces_dashes_and_case_never_change_the_code(secret, separators, rnd):
    chars = [c.lower() if rnd.random() < 0.5 else c for c in secret]
    for sep in separators:
        chars.insert(rnd.randrange(len(chars) + 1), sep)

    assert normalize_secret("".join(chars)) == secret


def test_a_typed_ticket_code_checks_in(event, paid_ticket, actor):
    typed = " ".join(paid_ticket.secret[i : i + 4] for i in range(0, 32, 4)).lower()

    assert checkin_scan(secret=typed, event=event, actor=actor).answer == ScanAnswer.OK


# -- devices -----------------------------------------------------------------------------------


def test_a_devices_scan_is_logged_with_the_device_and_stands_in_history_as_it(
    event, order_in, device
):
    scanner, _token = device
    order = order_in(OrderStatus.PAID)
    ticket = first_ticket(order)

    result = checkin_scan(
        secret=ticket.secret, event=event, device=scanner, actor=device_actor(scanner)
    )

    assert result.answer == ScanAnswer.OK
    assert scans() == [(event.pk, ticket.pk, "ok", scanner.pk, None)]
    entry = order.history.get(kind=OrderEventKind.CHECKED_IN)
    assert (entry.actor_kind, entry.actor_label, entry.actor_user) == (
        ActorKind.API_TOKEN,
        "Door 1",
        None,
    )
    assert CheckinDevice.objects.get().last_used_at == result.checked_in_at


def test_a_system_actor_may_scan_too(event, paid_ticket):
    result = checkin_scan(secret=paid_ticket.secret, event=event, actor=Actor.system("import"))

    assert result.answer == ScanAnswer.OK
    assert scans()[0][4] is None
