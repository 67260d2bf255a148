"""Organizer records: the Finnish business ID is checked with its check digit."""

import pytest
from django.core.exceptions import ValidationError

from boxoffice.accounts.models import Organizer


def _organizer(business_id: str) -> Organizer:
    return Organizer(
        name="Testi Oy", slug="testi", business_id=business_id, support_email="tuki@example.fi"
    )


@pytest.mark.django_db
def test_valid_business_id_is_accepted_and_formatted() -> None:
    organizer = _organizer("07375462")
    organizer.full_clean()
    assert organizer.business_id == "0737546-2"


@pytest.mark.django_db
@pytest.mark.parametrize("business_id", ["0737546-3", "1234567", "ABCDEFG-1", ""])
def test_invalid_business_id_is_a_form_error(business_id: str) -> None:
    with pytest.raises(ValidationError) as error:
        _organizer(business_id).full_clean()
    assert "business_id" in error.value.message_dict
