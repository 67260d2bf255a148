"""Pages with people's data are never stored by a browser or proxy; HTTPS deployments get HSTS."""

import os
import re
import subprocess
import sys

import pytest
from django.test import Client

from boxoffice.accounts.tokens import api_token_create
from boxoffice.orders.models import OrderStatus


def _no_store(response) -> bool:
    return {"no-store", "private"} <= set(response["Cache-Control"].replace(" ", "").split(","))


def test_pages_with_customer_data_are_never_stored(login, owner, order_in, organizer):
    order = order_in(OrderStatus.PAID)
    staff = login(owner)
    _token, value = api_token_create(organizer=organizer, role="viewer", name="t", created_by=None)
    api = {"Authorization": f"Bearer {value}"}
    answers = {
        "order page": staff.get(f"/backoffice/orders/{order.code}/"),
        "tickets pdf": staff.get(f"/backoffice/orders/{order.code}/tickets.pdf"),
        "secret link": Client().get(f"/o/{order.code}/{order.secret}/"),
        "api order": Client().get(f"/api/v1/orders/{order.code}", headers=api),
        "login page": Client().get("/accounts/login/"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert _no_store(response), (name, response["Cache-Control"])


@pytest.fixture
def login():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def _settings_with(env: dict[str, str]) -> str:
    code = "from django.conf import settings; print(settings.SECURE_HSTS_SECONDS)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "boxoffice.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_hsts_comes_with_https():
    assert _settings_with({"SECURE_COOKIES": "1"}) == "31536000"
    assert _settings_with({"SECURE_COOKIES": "0"}) == "0"


def test_static_files_keep_their_caching(client):
    response = client.get("/static/boxoffice/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_check_deploy_with_production_settings_leaves_only_the_preload_warning(tmp_path):
    """The README quotes this output; W021 (HSTS preload) is the operator's decision."""
    env = {
        **os.environ,
        "BOXOFFICE_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "k" * 20 + "-production-secret-key-of-fifty-chars+",
        "FIELD_ENCRYPTION_KEY": "hDLFmUB5sOK2bIJxEF3wVo2w8DWMm2aZUtMPb_oGGBY=",
        "SECURE_COOKIES": "1",
        "SECURE_SSL_REDIRECT": "1",
        "PAYTRAIL_SANDBOX": "0",
        "PAYTRAIL_MERCHANT_ID": "123456",
        "PAYTRAIL_SECRET": "a-real-merchant-secret",
        "ALLOWED_HOSTS": "tickets.example.com",
        "PUBLIC_BASE_URL": "https://tickets.example.com",
        "DEBUG": "0",
    }
    env.pop("DATABASE_URL", None)
    # Playwright's browser tests set this in the process; a deployment never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-m", "boxoffice", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.findall(r"\((\w+\.[EW]\d+)\)", output) == ["security.W021"], output
