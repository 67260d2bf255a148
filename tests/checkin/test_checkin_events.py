"""The Check-in page /backoffice/checkin/: the events whose door the person may work."""

from datetime import timedelta

from django.utils import timezone

from backoffice.pages import links, page_text, parse
from boxoffice.accounts.models import Role


def scanner_links(response) -> list[str]:
    return sorted({href for _text, href in links(response) if href.endswith("/checkin/")})


def test_lists_the_organizers_events_with_links_to_their_scanners(
    owner_client, event, second_event, foreign_event, make_event, organizer
):
    past = make_event(
        organizer,
        name="Last year's festival",
        starts_at=timezone.now() - timedelta(days=365),
        ends_at=timezone.now() - timedelta(days=364),
    )

    response = owner_client.get("/backoffice/checkin/")

    assert response.status_code == 200
    assert scanner_links(response) == sorted(
        f"/backoffice/events/{e.pk}/checkin/" for e in (event, second_event, past)
    )
    text = page_text(response)
    assert "Ruisrock" not in text
    assert text.index("Tuska Festival") < text.index("Past events") < text.index("Last year's")


def test_support_sees_the_events_and_a_viewer_none(login, member, event):
    assert scanner_links(login(member(Role.SUPPORT)).get("/backoffice/checkin/")) == [
        f"/backoffice/events/{event.pk}/checkin/"
    ]
    viewer_page = login(member(Role.VIEWER)).get("/backoffice/checkin/")
    assert scanner_links(viewer_page) == []
    assert "No events to check in." in page_text(viewer_page)


def test_platform_staff_see_every_organizers_events(login, staff_user, event, foreign_event):
    response = login(staff_user).get("/backoffice/checkin/")

    assert scanner_links(response) == sorted(
        f"/backoffice/events/{e.pk}/checkin/" for e in (event, foreign_event)
    )
    assert "Other Events Oy" in page_text(response)


def test_anonymous_visitors_go_to_login(client, db):
    response = client.get("/backoffice/checkin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/backoffice/checkin/"


def test_the_back_office_nav_links_to_check_in(owner_client, event):
    for path in (
        "/backoffice/orders/",
        "/backoffice/checkin/",
        f"/backoffice/events/{event.pk}/checkin/",
    ):
        nav = parse(owner_client.get(path)).find("nav")
        hrefs = [a.get("href") for a in nav.find_all("a")]
        assert "/backoffice/checkin/" in hrefs
    active = nav.find("a", class_="active")
    assert active.get("href") == "/backoffice/checkin/"
