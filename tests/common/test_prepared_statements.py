"""On PostgreSQL a connection keeps the plan of a statement it runs again and again (settings:
server-side binding, psycopg's prepared statements), and the ORM's queries still work with it."""

import pytest
from django.db import connection

from boxoffice.orders.models import Order

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"),
]


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_five_times_is_prepared_once(db):
    assert not any("orders_order" in statement for statement in prepared())
    for code in ("A", "B", "C", "D", "E", "F"):
        # Each value is a parameter bound by the server: the six are one statement.
        assert not Order.objects.filter(code=code).exists()
    kept = [statement for statement in prepared() if '"orders_order"' in statement]
    assert len(kept) == 1 and "$1" in kept[0], kept
