"""One recovery code sent by several sessions at once lets exactly one in (PostgreSQL)."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from boxoffice.accounts import second_factor
from boxoffice.accounts.models import User
from races import RACE_ON_POSTGRESQL

from .test_second_factor import enrol

pytestmark = RACE_ON_POSTGRESQL


@pytest.mark.parametrize("round_", range(3))
def test_a_recovery_code_is_used_once_however_many_race(race, owner: User, round_: int) -> None:
    codes = enrol(owner)
    results = race(*[lambda: second_factor.verified_device(owner, codes[0])] * 6)

    winners = [r for r in results if isinstance(r, StaticDevice)]
    assert len(winners) == 1, results
    # The others were refused: the code was gone, or their failures already throttle the device.
    losers = [r for r in results if not isinstance(r, StaticDevice)]
    assert all(r is None or "Too many wrong codes" in str(r) for r in losers), losers
    assert StaticToken.objects.filter(device__user=owner).count() == 9
