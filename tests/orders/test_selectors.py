"""order_list / order_get: scoped to the acting principal, searchable, filterable, newest first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from boxoffice.accounts.models import Role
from boxoffice.accounts.permissions import principal_for
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.orders.search import phone_digits
from boxoffice.orders.selectors import (
    OrderFilters,
    order_get,
    order_history,
    order_list,
    order_rows,
    order_ticket,
    order_tickets,
)
from boxoffice.orders.services import Participant, order_cancel
from boxoffice.payments.marking import order_mark_paid


@pytest.fixture
def world(make_event, make_product, organizer, other_organizer, place, actor):
    """Two organizers' orders with distinct customers, methods and statuses.

    created_at is set explicitly (older ids are not always older orders) so the expected order
    of the list is known.
    """
    tuska = make_event(organizer, name="Tuska")
    flow = make_event(organizer, name="Flow")
    foreign = make_event(other_organizer, name="Ruisrock")
    tuska_day = make_product(tuska)
    flow_day = make_product(flow)
    foreign_day = make_product(foreign)

    o = {
        "maija": place(
            tuska_day,
            email="maija.meikalainen@example.com",
            name="Maija Meikäläinen",
            phone="+358 40 111 2222",
            participants=(Participant(name="Pekka Puupää"),),
        ),
        "matti": place(
            tuska_day,
            method=PaymentMethod.INVOICE,
            email="matti@firma.fi",
            name="Matti Virtanen",
            phone="+358 50 333 4444",
        ),
        "liisa": place(
            flow_day, method=PaymentMethod.EPASSI, email="liisa@example.org", name="Liisa Laine"
        ),
        "foreign": place(
            foreign_day,
            email="maija.muu@example.com",
            name="Maija Muu",
            phone="+358 40 111 9999",
            participants=(Participant(name="Pekka Puupää"),),
        ),
    }
    order_mark_paid(order=o["maija"], actor=actor)
    order_cancel(order=o["liisa"], actor=actor)
    base = timezone.now() - timedelta(days=1)
    for minutes, key in enumerate(["matti", "maija", "foreign", "liisa"]):
        Order.objects.filter(pk=o[key].pk).update(created_at=base + timedelta(minutes=minutes))
    for order in o.values():
        order.refresh_from_db()
    o["events"] = {"tuska": tuska, "flow": flow, "foreign": foreign}
    return o


def listed(principal, **filters):
    return [order.pk for order in order_list(principal=principal, filters=OrderFilters(**filters))]


def pks(world, *keys):
    return [world[k].pk for k in keys]


# -- scoping ---------------------------------------------------------------------------------


def test_member_sees_only_their_organizers_orders_newest_first(world, owner):
    assert listed(principal_for(owner)) == pks(world, "liisa", "maija", "matti")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_its_organizers_orders(role, world, make_user, organizer):
    user = make_user(f"{role}.member@example.com", organizer, role)
    assert listed(principal_for(user)) == pks(world, "liisa", "maija", "matti")


def test_other_organizers_member_sees_only_theirs(world, make_user, other_organizer):
    user = make_user("other@example.com", other_organizer, Role.VIEWER)
    assert listed(principal_for(user)) == pks(world, "foreign")


def test_member_of_two_organizers_sees_both(world, owner, other_organizer):
    owner.memberships.create(organizer=other_organizer, role=Role.SUPPORT)
    assert listed(principal_for(owner)) == pks(world, "liisa", "foreign", "maija", "matti")


def test_platform_staff_sees_all_organizers(world, staff_user):
    assert listed(principal_for(staff_user)) == pks(world, "liisa", "foreign", "maija", "matti")


def test_user_without_membership_sees_nothing(world, make_user):
    nobody = principal_for(make_user("nobody@example.com"))
    assert listed(nobody) == []
    assert listed(nobody, q=world["maija"].code) == []
    with pytest.raises(Order.DoesNotExist):
        order_get(principal=nobody, code=world["maija"].code)


# -- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("meikalainen", ["maija"]),
        ("MAIJA.MEIKALAINEN@EXAMPLE.COM", ["maija"]),
        ("@firma.fi", ["matti"]),
        ("example", ["liisa", "maija"]),
        ("Virtanen", ["matti"]),
        ("liisa laine", ["liisa"]),
        ("maija", ["maija"]),
        ("Pekka", ["maija"]),
        ("puupää", ["maija"]),
        ("333 4444", ["matti"]),
        ("+358", ["maija", "matti"]),
        ("  Virtanen  ", ["matti"]),
        ("nobody-like-this", []),
        ("", ["liisa", "maija", "matti"]),
    ],
)
def test_search_matches_email_name_participant_and_phone(q, expected, world, owner):
    assert listed(principal_for(owner), q=q) == pks(world, *expected)


@pytest.mark.parametrize("transform", [str, str.lower, lambda c: f"  {c.lower()} "])
def test_search_by_exact_code_ignores_case_and_spaces(transform, world, owner):
    code = world["matti"].code
    assert listed(principal_for(owner), q=transform(code)) == pks(world, "matti")


def test_search_by_code_does_not_find_a_foreign_order(world, owner):
    assert listed(principal_for(owner), q=world["foreign"].code) == []


def test_search_by_code_respects_the_filters(world, owner):
    principal = principal_for(owner)
    code = world["matti"].code
    assert listed(principal, q=code, status=OrderStatus.PAID) == []
    assert listed(principal, q=code, status=OrderStatus.INVOICING) == pks(world, "matti")


def test_search_does_not_match_part_of_a_code(world, owner):
    code = world["matti"].code
    assert listed(principal_for(owner), q=code[:4]) == []


def test_staff_search_finds_across_organizers(world, staff_user):
    staff = principal_for(staff_user)
    assert listed(staff, q="maija") == pks(world, "foreign", "maija")
    assert listed(staff, q="Pekka") == pks(world, "foreign", "maija")
    assert listed(staff, q=world["foreign"].code.lower()) == pks(world, "foreign")


# -- filters ---------------------------------------------------------------------------------


def test_filter_by_event(world, owner):
    principal = principal_for(owner)
    events = world["events"]
    assert listed(principal, event_id=events["tuska"].pk) == pks(world, "maija", "matti")
    assert listed(principal, event_id=events["flow"].pk) == pks(world, "liisa")
    assert listed(principal, event_id=events["foreign"].pk) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (OrderStatus.PAID, ["maija"]),
        (OrderStatus.INVOICING, ["matti"]),
        (OrderStatus.CANCELLED, ["liisa"]),
        (OrderStatus.RESERVED, []),
        (OrderStatus.RETURNED, []),
    ],
)
def test_filter_by_status(status, expected, world, owner):
    assert listed(principal_for(owner), status=status) == pks(world, *expected)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (PaymentMethod.PAYTRAIL, ["maija"]),
        (PaymentMethod.INVOICE, ["matti"]),
        (PaymentMethod.EPASSI, ["liisa"]),
        (PaymentMethod.FREE, []),
    ],
)
def test_filter_by_payment_method(method, expected, world, owner):
    assert listed(principal_for(owner), payment_method=method) == pks(world, *expected)


def test_filter_by_organizer(world, staff_user, owner, organizer, other_organizer):
    staff = principal_for(staff_user)
    assert listed(staff, organizer_id=organizer.pk) == pks(world, "liisa", "maija", "matti")
    assert listed(staff, organizer_id=other_organizer.pk) == pks(world, "foreign")
    # A member filtering on a foreign organizer gets nothing, not the foreign orders.
    assert listed(principal_for(owner), organizer_id=other_organizer.pk) == []


def test_filters_combine(world, owner):
    principal = principal_for(owner)
    tuska = world["events"]["tuska"].pk
    assert listed(principal, event_id=tuska, status=OrderStatus.PAID, q="maija") == pks(
        world, "maija"
    )
    assert listed(principal, event_id=tuska, payment_method=PaymentMethod.EPASSI) == []


def test_newest_first_breaks_ties_by_id(place, product, owner):
    orders = [place(product, quantity=1) for _ in range(3)]
    same = timezone.now()
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(created_at=same)
    assert listed(principal_for(owner)) == [o.pk for o in reversed(orders)]


def test_order_list_is_one_query_with_its_event(world, owner, django_assert_num_queries):
    principal = principal_for(owner)
    with django_assert_num_queries(1):
        names = [o.event.name for o in order_list(principal=principal, filters=OrderFilters())]
    assert names == ["Flow", "Tuska", "Tuska"]


# -- one order -------------------------------------------------------------------------------


def test_order_get_finds_own_order_by_code_in_any_case(world, owner):
    principal = principal_for(owner)
    order = order_get(principal=principal, code=f" {world['maija'].code.lower()} ")
    assert order.pk == world["maija"].pk


def test_order_get_of_a_foreign_order_does_not_exist(world, owner):
    with pytest.raises(Order.DoesNotExist):
        order_get(principal=principal_for(owner), code=world["foreign"].code)


def test_order_get_of_an_unknown_code_does_not_exist(world, owner):
    with pytest.raises(Order.DoesNotExist):
        order_get(principal=principal_for(owner), code="ZZZZZZ")


def test_staff_can_get_any_order(world, staff_user):
    order = order_get(principal=principal_for(staff_user), code=world["foreign"].code)
    assert order.pk == world["foreign"].pk


def test_order_tickets_and_history_are_in_order(world, actor):
    order = world["maija"]
    tickets = list(order_tickets(order))
    assert [t.pk for t in tickets] == sorted(t.pk for t in tickets)
    assert order_ticket(order, tickets[1].pk).pk == tickets[1].pk
    with pytest.raises(type(tickets[0]).DoesNotExist):
        order_ticket(order, world["matti"].tickets.first().pk)
    assert [e.kind for e in order_history(order)] == ["placed", "paid", "email_queued"]
    order = order_cancel(order=order, actor=Actor.system())
    assert [e.kind for e in order_history(order)] == [
        "placed",
        "paid",
        "email_queued",
        "cancelled",
        "email_queued",
    ]


def test_search_ignores_case_of_finnish_letters(place, product, owner):
    order = place(product, quantity=1, email="k.ohman@example.com", name="Kalle Öhman")
    place(product, quantity=1, email="other@example.com", name="Matti Ahonen")
    assert listed(principal_for(owner), q="öhman") == [order.pk]
    assert listed(principal_for(owner), q="ÖHMAN") == [order.pk]
    assert listed(principal_for(owner), q="kalle ö") == [order.pk]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+358 40 123 4567", "401234567"),
        ("040 123 4567", "401234567"),
        ("00358-40-1234567", "401234567"),
        ("+46 70 123 45 67", "46701234567"),
        ("1234567", "1234567"),
        ("12345", ""),  # too short to be a phone number: a plain substring search
        ("maija@example.com", ""),
    ],
)
def test_phone_digits(typed, expected):
    assert phone_digits(typed) == expected


@pytest.mark.parametrize("stored", ["+358 40 123 4567", "040-123 4567", "+358401234567"])
@pytest.mark.parametrize("typed", ["0401234567", "+358 40 1234567", "123 4567"])
def test_search_finds_a_phone_number_however_it_was_typed(place, product, owner, stored, typed):
    order = place(product, quantity=1, email="p@example.com", phone=stored)
    place(product, quantity=1, email="q@example.com", phone="+358 50 765 4321")
    assert listed(principal_for(owner), q=typed) == [order.pk]


def test_search_finds_participant_email(place, product, owner):
    order = place(
        product,
        quantity=1,
        participants=(Participant(name="Aino", email="aino.friend@example.net"),),
    )
    place(product, quantity=1)
    assert listed(principal_for(owner), q="aino.friend") == [order.pk]


def test_filter_by_an_event_that_does_not_exist_lists_nothing(world, staff_user):
    assert listed(principal_for(staff_user), event_id=10**9) == []


def test_staff_filter_by_event_names_its_organizer(world, staff_user):
    events = world["events"]
    assert listed(principal_for(staff_user), event_id=events["foreign"].pk) == pks(world, "foreign")


# -- a page in two steps (order_rows) ---------------------------------------------------------


@pytest.mark.parametrize(("start", "stop"), [(0, 1), (0, 2), (1, 3), (2, 10), (3, 4), (5, 9)])
def test_order_rows_is_the_slice_of_the_list(world, staff_user, start, stop):
    orders = order_list(principal=principal_for(staff_user), filters=OrderFilters())
    expected = [order.pk for order in orders][start:stop]
    assert [order.pk for order in order_rows(orders, start, stop)] == expected


def test_order_rows_keeps_the_filters_and_the_scope(world, owner):
    principal = principal_for(owner)
    orders = order_list(principal=principal, filters=OrderFilters(q="maija"))
    assert [order.pk for order in order_rows(orders, 0, 10)] == pks(world, "maija")
    assert order_rows(orders, 1, 10) == []
    assert order_rows(orders, 3, 3) == []


def test_order_rows_conditions_the_outer_query_on_the_ids_alone(
    world, owner, django_assert_num_queries
):
    """One statement, whose outer WHERE is the ids' subquery only (the filters are inside it:
    repeated outside, PostgreSQL went back to reading every match)."""
    orders = order_list(
        principal=principal_for(owner), filters=OrderFilters(event_id=world["events"]["tuska"].pk)
    )
    with django_assert_num_queries(1) as captured:
        rows = order_rows(orders, 0, 5)
    assert [order.pk for order in rows] == pks(world, "maija", "matti")
    assert rows[0].event.name == "Tuska"  # the shape (select_related) is kept
    sql = captured.captured_queries[0]["sql"]
    outer_where = sql[top_level(sql, "WHERE") :]
    assert outer_where.startswith('WHERE "orders_order"."id" IN (SELECT')
    inner_end = top_level(outer_where, "ORDER BY")
    assert outer_where[inner_end:].startswith('ORDER BY "orders_order"."created_at" DESC')
    assert sql.count('"organizer_id" IN (') == 1  # the scope: inside, once


def top_level(sql: str, word: str) -> int:
    """Where ``word`` first occurs outside any parentheses in ``sql``."""
    depth = 0
    for i, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(word, i):
            return i
    raise AssertionError(f"no top-level {word} in {sql}")
