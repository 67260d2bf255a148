"""The marks of a module whose tests race real transactions: they need PostgreSQL.

``pytestmark = RACE_ON_POSTGRESQL``; the ``race`` fixture (conftest.py) runs the calls at once.
"""

import pytest
from django.db import connection

RACE_ON_POSTGRESQL = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serializes writers, so nothing races",
    ),
    pytest.mark.django_db(transaction=True),
]
