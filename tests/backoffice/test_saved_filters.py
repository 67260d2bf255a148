"""Saved filters: a name for the list's current view, kept per user, a link that reproduces
it, and refusals that change nothing."""

from boxoffice.accounts.models import User
from boxoffice.accounts.preferences import SAVED_MAX

from .pages import messages, parse

LIST = "/backoffice/orders/"
SAVE = "/backoffice/orders/saved-filters/"
DELETE = "/backoffice/orders/saved-filters/delete/"


def saved_links(response) -> list[tuple[str, str]]:
    box = parse(response).find("div", data_testid="saved-filters")
    return [(a.text(), a.get("href")) for a in box.find_all("a")]


def test_save_and_follow_a_filter(owner_client, owner, order_in):
    order_in("paid")
    response = owner_client.post(
        SAVE,
        {"name": " Paid  in Swedish ", "query": "status=paid&language=sv&page=3&evil=1"},
        follow=True,
    )

    assert messages(response) == ["Filter saved."]
    assert response.redirect_chain[-1][0] == f"{LIST}?status=paid&language=sv"
    owner.refresh_from_db()
    assert owner.saved_filters == [{"name": "Paid in Swedish", "query": "status=paid&language=sv"}]
    assert saved_links(owner_client.get(LIST)) == [
        ("Paid in Swedish", f"{LIST}?status=paid&language=sv")
    ]


def test_the_same_name_replaces_and_delete_forgets(owner_client, owner):
    owner_client.post(SAVE, {"name": "Mine", "query": "status=paid"})
    owner_client.post(SAVE, {"name": "Mine", "query": "status=cancelled"})
    owner.refresh_from_db()
    assert owner.saved_filters == [{"name": "Mine", "query": "status=cancelled"}]

    owner_client.post(DELETE, {"name": "Mine"})
    owner.refresh_from_db()
    assert owner.saved_filters == []


def test_each_user_has_their_own(owner_client, login, other_owner, owner):
    owner_client.post(SAVE, {"name": "Mine", "query": "status=paid"})
    login(other_owner).post(DELETE, {"name": "Mine"})  # not theirs to delete: nothing happens

    owner.refresh_from_db()
    assert owner.saved_filters == [{"name": "Mine", "query": "status=paid"}]
    assert saved_links(login(other_owner).get(LIST)) == []


def test_refusals_change_nothing(owner_client, owner):
    for name in ("", "   ", "x" * 61):
        response = owner_client.post(SAVE, {"name": name, "query": "status=paid"}, follow=True)
        assert response.status_code == 200
        assert len(messages(response)) == 1
    owner.refresh_from_db()
    assert owner.saved_filters == []

    User.objects.filter(pk=owner.pk).update(
        saved_filters=[{"name": f"f{i:02}", "query": ""} for i in range(SAVED_MAX)]
    )
    response = owner_client.post(SAVE, {"name": "one more", "query": ""}, follow=True)
    assert messages(response) == [
        f"You have {SAVED_MAX} saved filters; delete one to save another."
    ]
    owner.refresh_from_db()
    assert len(owner.saved_filters) == SAVED_MAX


def test_anonymous_and_get_are_refused(client, owner_client, db):
    response = client.post(SAVE, {"name": "x", "query": ""})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert owner_client.get(SAVE).status_code == 405
