"""The attack tests reuse the back-office and API fixtures (tests/backoffice, tests/api)."""

from api.conftest import api, api_for  # noqa: F401
from backoffice.conftest import (  # noqa: F401
    foreign_order,
    login,
    other_event,
    other_owner,
    other_product,
    owner_client,
)
