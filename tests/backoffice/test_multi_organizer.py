"""People working for several organizers get an organizer filter and column; staff too."""

from boxoffice.accounts.models import Membership, Role

from .pages import page_text, parse


def _options(response, name: str) -> list[str]:
    selects = parse(response).find_all("select", name=name)
    return [o.text() for s in selects for o in s.find_all("option")]


def test_member_of_two_organizers_can_filter_by_organizer(
    login, owner, other_organizer, order_in, foreign_order
):
    Membership.objects.create(user=owner, organizer=other_organizer, role=Role.VIEWER)
    mine = order_in("paid")
    client = login(owner)

    both = client.get("/backoffice/orders/")
    only_other = client.get(f"/backoffice/orders/?organizer={other_organizer.pk}")

    assert _options(both, "organizer") == ["All organizers", "Demo Events Oy", "Other Events Oy"]
    assert mine.code in page_text(both) and foreign_order.code in page_text(both)
    assert foreign_order.code in page_text(only_other)
    assert mine.code not in page_text(only_other)
    # Same-named events of two organizers stay distinguishable.
    assert any(o.startswith("Other Events Oy: ") for o in _options(both, "event"))


def test_member_of_one_organizer_gets_no_organizer_filter(owner_client, order_in):
    order_in("paid")
    response = owner_client.get("/backoffice/orders/")
    assert _options(response, "organizer") == []
    assert not any(":" in o for o in _options(response, "event")[1:])
