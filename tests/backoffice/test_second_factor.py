"""Two-step verification: enrol at /accounts/2fa/, then a code after every password."""

import io
import re
from base64 import b32decode
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlparse

import pymupdf
import zxingcpp
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from boxoffice.accounts.models import Organizer, Role, User

PASSWORD = "correct horse battery"  # every make_user password (tests/conftest.py)

ORDERS = "/backoffice/orders/"
SETUP = "/accounts/2fa/"
VERIFY = "/accounts/2fa/verify/"


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, drift=drift):06d}"


def fresh_code(user: User) -> str:
    """A code the confirmed authenticator has not seen yet (each time step counts once)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    return code_for(device)


def log_in(user: User) -> tuple[Client, object]:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    return client, response


def enrol(user: User) -> list[str]:
    """Set the user's authenticator up through the pages; returns the recovery codes shown."""
    client = Client()
    client.force_login(user)
    assert client.get(SETUP).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"action": "confirm", "code": code_for(device)})
    assert response.status_code == 200, response.content
    return re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", response.content.decode())


def test_enrolment_shows_a_qr_code_an_app_can_read(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    page = client.get(SETUP).content.decode()
    data_uri = re.search(r'src="(data:image/svg\+xml[^"]+)"', page)
    assert data_uri, page
    svg = unquote(data_uri.group(1).split(",", 1)[1]).encode()
    png = pymupdf.open(stream=svg, filetype="svg")[0].get_pixmap(dpi=150).tobytes("png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(decoded) == 1
    uri = urlparse(decoded[0].text)
    params = parse_qs(uri.query)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert params["issuer"] == ["Boxoffice"] and owner.email in unquote(uri.path)
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    secret = params["secret"][0]
    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # The key for typing in by hand is the same secret, in groups of four.
    shown = re.search(r'data-testid="otp-key">([A-Z2-7 ]+)<', page)
    assert shown and shown.group(1).replace(" ", "") == secret
    # Reloading shows the same key: a QR code already scanned stays good.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=owner).count() == 1


def test_a_wrong_code_does_not_turn_it_on(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=owner)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"action": "confirm", "code": wrong})
    assert response.status_code == 400
    assert "The code is wrong" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
    assert not StaticToken.objects.exists()
    response = client.post(SETUP, {"action": "confirm", "code": "abc"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()


def test_confirming_turns_it_on_with_ten_recovery_codes(owner: User) -> None:
    codes = enrol(owner)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.filter(user=owner, confirmed=True).count() == 1
    stored = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in codes}


def test_after_the_password_the_back_office_waits_for_the_code(owner: User) -> None:
    enrol(owner)
    client, response = log_in(owner)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fbackoffice%2Forders%2F"
    # The password alone opens nothing: every back-office page sends back to the code.
    blocked = client.get(ORDERS)
    assert blocked.status_code == 302 and blocked["Location"].startswith(VERIFY)
    assert client.get("/accounts/password/")["Location"].startswith(VERIFY)
    device = TOTPDevice.objects.get(user=owner)
    wrong = f"{(int(fresh_code(owner)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong, "next": ORDERS})
    assert response.status_code == 400 and "The code is wrong" in response.content.decode()
    assert client.get(ORDERS).status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(VERIFY, {"code": code_for(device), "next": ORDERS})
    assert response.status_code == 302 and response["Location"] == ORDERS
    assert client.get(ORDERS).status_code == 200
    # The same code cannot be used twice (a code seen over a shoulder).
    other, _ = log_in(owner)
    assert other.post(VERIFY, {"code": code_for(device)}).status_code == 400


def test_next_cannot_lead_off_site(owner: User) -> None:
    enrol(owner)
    client, _ = log_in(owner)
    response = client.post(VERIFY, {"code": fresh_code(owner), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == ORDERS


def test_a_recovery_code_works_once(owner: User) -> None:
    codes = enrol(owner)
    client, _ = log_in(owner)
    response = client.post(VERIFY, {"code": codes[3].upper(), "next": ORDERS})
    assert response.status_code == 302
    assert client.get(ORDERS).status_code == 200
    assert StaticToken.objects.filter(device__user=owner).count() == 9
    again, _ = log_in(owner)
    StaticDevice.objects.filter(user=owner).update(throttling_failure_count=0)
    assert again.post(VERIFY, {"code": codes[3]}).status_code == 400
    assert again.get(ORDERS).status_code == 302


def test_wrong_codes_are_throttled(owner: User) -> None:
    enrol(owner)
    client, _ = log_in(owner)
    device = TOTPDevice.objects.get(user=owner)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    client.post(VERIFY, {"code": wrong})
    response = client.post(VERIFY, {"code": code_for(device)})  # right, but too soon
    assert response.status_code == 400
    assert "Too many wrong codes. Try again in" in response.content.decode()
    assert client.get(ORDERS).status_code == 302


def test_a_password_alone_cannot_change_the_second_factor(owner: User) -> None:
    codes = enrol(owner)
    client, _ = log_in(owner)
    response = client.post(SETUP, {"action": "renew"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    stored = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in codes}
    response = client.post(SETUP, {"action": "disable", "code": fresh_code(owner)})
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=owner, confirmed=True).exists()


def test_renewing_recovery_codes_replaces_them(owner: User) -> None:
    old = enrol(owner)
    client, _ = log_in(owner)
    client.post(VERIFY, {"code": fresh_code(owner)})
    response = client.post(SETUP, {"action": "renew"})
    new = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    stored = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in new}


def test_turning_it_off_needs_a_code(owner: User) -> None:
    enrol(owner)
    client, _ = log_in(owner)
    client.post(VERIFY, {"code": fresh_code(owner)})
    response = client.post(SETUP, {"action": "disable", "code": "000000"})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
    TOTPDevice.objects.filter(user=owner).update(throttling_failure_count=0)
    response = client.post(SETUP, {"action": "disable", "code": fresh_code(owner)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=owner).exists()
    assert not StaticDevice.objects.filter(user=owner).exists()
    _client, response = log_in(owner)
    assert response["Location"] == ORDERS


def test_an_owner_requires_it_for_every_member(
    owner: User, organizer: Organizer, make_user: Callable[..., User]
) -> None:
    manager = make_user("manager@example.com", organizer, Role.MANAGER)
    owner_client = Client()
    owner_client.force_login(owner)
    # Not before the owner has it: the rule must never lock out the person setting it.
    response = owner_client.post(SETUP, {"action": "require", "organizer": organizer.pk})
    assert response.status_code == 400
    assert "Turn on two-step verification for yourself first" in response.content.decode()
    organizer.refresh_from_db()
    assert organizer.require_second_factor is False

    enrol(owner)
    owner_client, _ = log_in(owner)
    owner_client.post(VERIFY, {"code": fresh_code(owner)})
    response = owner_client.post(SETUP, {"action": "require", "organizer": organizer.pk})
    assert response.status_code == 302
    organizer.refresh_from_db()
    assert organizer.require_second_factor is True

    # A manager who has none is sent to set it up before anything else.
    client, response = log_in(manager)
    page = client.get(ORDERS)
    assert page.status_code == 302 and page["Location"].startswith(SETUP)
    setup = client.get(page["Location"]).content.decode()
    assert "requires two-step verification for every member" in setup
    # ... cannot change the organizer's rule ...
    response = client.post(SETUP, {"action": "unrequire", "organizer": organizer.pk})
    assert response.status_code == 400
    organizer.refresh_from_db()
    assert organizer.require_second_factor is True
    # ... and once set up, cannot turn it off.
    device = TOTPDevice.objects.get(user=manager)
    client.post(SETUP, {"action": "confirm", "code": code_for(device), "next": ORDERS})
    assert client.get(ORDERS).status_code == 200
    response = client.post(SETUP, {"action": "disable", "code": fresh_code(manager)})
    assert response.status_code == 400
    assert "It cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_a_second_owner_without_it_cannot_lift_the_rule(
    owner: User, organizer: Organizer, make_user: Callable[..., User]
) -> None:
    enrol(owner)
    Organizer.objects.filter(pk=organizer.pk).update(require_second_factor=True)
    co_owner = make_user("co.owner@example.com", organizer, Role.OWNER)
    client, _ = log_in(co_owner)  # a password alone: sent to set up a second factor

    response = client.post(SETUP, {"action": "unrequire", "organizer": organizer.pk})

    assert response.status_code == 400
    assert "Turn on two-step verification for yourself first" in response.content.decode()
    organizer.refresh_from_db()
    assert organizer.require_second_factor is True
    assert client.get(ORDERS)["Location"].startswith(SETUP)


def test_another_organizers_owner_cannot_set_its_rule(
    owner: User, other_organizer: Organizer, make_user: Callable[..., User]
) -> None:
    enrol(owner)
    client, _ = log_in(owner)
    client.post(VERIFY, {"code": fresh_code(owner)})
    response = client.post(SETUP, {"action": "require", "organizer": other_organizer.pk})
    assert response.status_code == 400
    other_organizer.refresh_from_db()
    assert other_organizer.require_second_factor is False


def test_staff_must_use_it_in_production_but_not_in_the_demo(
    staff_user: User, settings: object
) -> None:
    client, _ = log_in(staff_user)
    assert client.get(ORDERS).status_code == 200  # the sandbox is on: the demo's logins work
    settings.PAYTRAIL_SANDBOX = False  # type: ignore[attr-defined]
    page = client.get(ORDERS)
    assert page.status_code == 302 and page["Location"].startswith(SETUP)
    assert "Platform staff must use two-step verification" in client.get(SETUP).content.decode()
    assert client.get("/backoffice/platform/refunds/").status_code == 302


def test_the_api_and_customer_links_do_not_use_the_session(
    owner: User, organizer: Organizer, order_in: Callable[..., object]
) -> None:
    from boxoffice.orders.models import Order, OrderStatus

    order = order_in(OrderStatus.PAID)
    assert isinstance(order, Order)
    enrol(owner)
    client, _ = log_in(owner)  # password given, code not yet
    assert client.get(f"/o/{order.code}/{order.secret}/").status_code == 200
    assert client.get(f"/api/v1/orders/{order.code}").status_code == 401


def test_an_operator_resets_a_lost_phone(owner: User) -> None:
    enrol(owner)
    out = io.StringIO()
    call_command("reset-second-factor", owner.email.upper(), stdout=out)
    assert "removed" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=owner).exists()
    assert not StaticDevice.objects.filter(user=owner).exists()
    _client, response = log_in(owner)
    assert response["Location"] == ORDERS
