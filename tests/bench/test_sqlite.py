"""On SQLite the benchmark refuses to start, and says what it needs."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from boxoffice.orders.models import Order

pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="checks the message SQLite users get"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action",
    [["seed", "--orders", "10"], ["run", "--requests", "1"], ["event-cancel", "--orders", "10"]],
)
def test_sqlite_is_refused_with_a_clear_message(action: list[str]) -> None:
    with pytest.raises(CommandError, match=r"needs PostgreSQL.*DATABASE_URL=postgres://"):
        call_command("bench", *action, stdout=StringIO())
    assert not Order.objects.exists()
