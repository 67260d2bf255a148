"""POST /checkin/v1/scan is rate limited per client address and per device (429, Retry-After)."""

from boxoffice.checkin.models import Scan


def post(api, token: str, secret: str = "NOSUCHCODE234567"):
    return api(token, {"secret": secret})


def test_a_device_over_its_limit_gets_429_and_scans_nothing(api, device, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkin_device": (2, 60)}
    _scanner, token = device
    assert post(api, token).status_code == 200
    assert post(api, token).status_code == 200

    refused = post(api, token)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "rate_limited"
    assert Scan.objects.count() == 2  # the refused request logged no scan


def test_token_guessing_from_one_address_is_slowed_down(api, settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkin_ip": (3, 60)}
    answers = [post(api, f"guess-{i}").status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]
