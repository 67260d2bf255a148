"""The access matrix of tests/security/matrix.py, request by request: every row (URL name and
method, or API operation) for every principal (anonymous, another organizer's owner, each role
of the organizer, platform staff) gets the outcome its row states. A refused request changes
nothing in the database and shows nothing of the organizer's data.

The data is built once for the module (world.py) inside a transaction that is rolled back at
the end; each test runs in a savepoint of it, so what a successful request does is undone
before the next one.

Counts: ``python tests/security/matrix.py`` (or test_matrix_complete.py::test_counts with -s).
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings

from . import matrix, world
from .inventory import url_patterns
from .matrix import ANON, LOGIN, OK, OWN, PRINCIPALS, REFUSED, Row
from .world import LOGIN_PREFIX, World

# Every test runs in a savepoint of the module's transaction (and so asks for the test database).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def data(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Organizers A and B and everything the URLs name, shared by the module's tests (a
    transaction around the module, rolled back after it, as Django's setUpTestData does)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # As Django's TestCase marks its own: durable blocks of the code under test may nest.
        atomic._from_testcase = True  # type: ignore[attr-defined]
        atomic.__enter__()
        try:
            with override_settings(LANGUAGE_CODE="en"):
                yield world.build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def parameters() -> dict[str, tuple[str, ...]]:
    """Each URL name's path parameters, from the resolver."""
    found: dict[str, tuple[str, ...]] = {}
    for pattern in url_patterns():
        if pattern.name and not pattern.is_api_operation:
            found.setdefault(pattern.name, pattern.parameters)
    return found


def _case(row: Row, principal: str) -> Any:
    marks = []
    if principal in row.xfail:
        marks.append(pytest.mark.xfail(reason=row.xfail[principal], strict=True))
    return pytest.param(row, principal, id=f"{row}|{principal}", marks=marks)


def _present(row: Row) -> bool:
    from django.conf import settings

    return not row.sandbox or bool(settings.PAYTRAIL_SANDBOX)


CASES = [_case(row, principal) for row in matrix.TABLE for principal in PRINCIPALS]


def _send(data: World, parameters: dict[str, tuple[str, ...]], row: Row, principal: str) -> Any:
    if row.kind == "api":
        return world.api_request(data, row, principal)
    client = world.page_client(data, principal)
    return world.page_request(data, client, row, parameters[row.name])


def _check_status(response: Any, row: Row, outcome: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    said = f"{row} answered {status} {location}".strip()
    if outcome == LOGIN:
        if row.kind == "api":
            assert status == 401, said
            assert response.json()["error"]["code"] == "unauthorized"
        else:
            assert status == 302, said
            assert location.startswith(LOGIN_PREFIX), said
        return
    expected = {row.ok} if outcome in (OK, OWN) else {403, 404} if outcome == "403_or_404" else None
    assert status in (expected or {int(outcome)}), f"{said}; expected {outcome}"
    if status == 302:
        assert not location.startswith(LOGIN_PREFIX), said
    if row.kind == "api" and status in (403, 404):
        code = {403: "forbidden", 404: "not_found"}[status]
        assert response.json()["error"]["code"] == code, response.content


def _content(response: Any) -> str:
    if getattr(response, "streaming", False):
        return ""
    if response.get("Content-Type", "").startswith("application/pdf"):
        return ""
    return str(response.content.decode(errors="replace"))


@pytest.mark.parametrize(("row", "principal"), CASES)
def test_access(
    data: World, parameters: dict[str, tuple[str, ...]], row: Row, principal: str
) -> None:
    if not _present(row):
        pytest.skip("the Paytrail sandbox is off")
    outcome = row.expect[principal]
    before = world.snapshot() if outcome in REFUSED else None

    response = _send(data, parameters, row, principal)

    _check_status(response, row, outcome)
    if outcome in REFUSED:
        assert world.snapshot() == before, f"{row} refused {principal} but changed data"
    if outcome in REFUSED | {OWN}:
        shown = _content(response)
        # What the URL itself says (e.g. an order code) is no news to whoever sent it.
        asked = response.request["PATH_INFO"]
        leaked = [m for m in data.markers if m in shown and m not in asked]
        assert not leaked, f"{row} showed {principal} organizer A's {leaked}"


@pytest.mark.parametrize("row", [pytest.param(r, id=str(r)) for r in matrix.api_rows()])
def test_a_revoked_token_gets_what_no_token_gets(data: World, row: Row) -> None:
    before = world.snapshot()
    response = world.api_request(data, row, world.REVOKED)
    _check_status(response, row, row.expect[ANON])
    assert world.snapshot() == before


GENUINE = [pytest.param(row, id=str(row)) for row in matrix.TABLE if row.genuine is not None]


@pytest.mark.parametrize("row", GENUINE)
def test_public_url_with_the_genuine_secret(
    data: World, parameters: dict[str, tuple[str, ...]], row: Row
) -> None:
    """The control of the public rows: with the real secret, no login is needed."""
    client = world.page_client(data, ANON)
    response = world.page_request(data, client, row, parameters[row.name], genuine=True)
    assert response.status_code == row.genuine, response.content[:300]


def test_the_snapshot_sees_what_a_request_changes(
    data: World, parameters: dict[str, tuple[str, ...]]
) -> None:
    """The control of "changed nothing": the owner's cancel shows in the snapshot."""
    row = next(r for r in matrix.TABLE if r.key == ("backoffice:order_cancel", "POST"))
    before = world.snapshot()
    response = world.page_request(
        data, world.page_client(data, matrix.OWNER), row, parameters[row.name]
    )
    assert response.status_code == 302
    assert world.snapshot() != before
