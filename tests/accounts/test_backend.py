"""The per-request user read (accounts.backends): the user, its roles and its second-factor
standing in one query, fresh on every request."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from boxoffice.accounts.backends import UserWithRolesBackend
from boxoffice.accounts.models import Membership, Role
from boxoffice.accounts.permissions import principal_for
from boxoffice.accounts.second_factor import Standing, standing_of

backend = UserWithRolesBackend()


def test_reads_the_user_its_roles_and_standing_in_one_query(
    make_user, organizer, other_organizer, django_assert_num_queries
):
    user = make_user("two@example.com", organizer, Role.OWNER)
    Membership.objects.create(user=user, organizer=other_organizer, role=Role.SUPPORT)

    with django_assert_num_queries(1):
        loaded = backend.get_user(user.pk)
        principal = principal_for(loaded)
        standing = standing_of(loaded)

    assert loaded == user
    assert principal.roles == {organizer.pk: Role.OWNER, other_organizer.pk: Role.SUPPORT}
    assert standing == Standing(has_device=False, organizer_requires=False)


def test_standing_says_who_has_and_who_must_have_a_second_factor(make_user, organizer):
    user = make_user("member@example.com", organizer, Role.VIEWER)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    organizer.require_second_factor = True
    organizer.save()

    assert standing_of(backend.get_user(user.pk)) == Standing(True, True)
    # The same answer as asked on its own, for a user read any other way.
    assert standing_of(type(user).objects.get(pk=user.pk)) == Standing(True, True)


def test_an_unconfirmed_device_is_not_a_second_factor(make_user, organizer):
    user = make_user("member@example.com", organizer, Role.VIEWER)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    assert standing_of(backend.get_user(user.pk)) == Standing(False, False)


def test_platform_staff_without_memberships_have_no_roles(staff_user):
    loaded = backend.get_user(staff_user.pk)
    assert loaded is not None
    assert principal_for(loaded).roles == {}
    assert principal_for(loaded).is_platform_staff


def test_no_user_for_an_unknown_or_deactivated_id(make_user, organizer):
    user = make_user("gone@example.com", organizer, Role.OWNER, is_active=False)
    assert backend.get_user(user.pk) is None
    assert backend.get_user(user.pk + 1000) is None


@pytest.mark.parametrize("change", ["removed", "demoted"])
def test_a_membership_change_takes_effect_on_the_next_request(
    make_user, organizer, order_in, change
):
    user = make_user("support@example.com", organizer, Role.MANAGER)
    order = order_in("paid")
    client = Client()
    client.force_login(user)
    assert client.get(f"/backoffice/orders/{order.code}/cancel/").status_code == 200

    membership = Membership.objects.get(user=user)
    if change == "removed":
        membership.delete()
    else:
        membership.role = Role.VIEWER
        membership.save()

    status = client.get(f"/backoffice/orders/{order.code}/cancel/").status_code
    assert status == 404, status  # not theirs any more; a viewer may not cancel (no such page)


def test_the_users_own_columns_read_as_the_orm_reads_them(make_user, organizer):
    user = make_user("dates@example.com", organizer, Role.OWNER)
    user.saved_filters = [{"name": "Paid", "query": "status=paid"}]
    user.save()
    user.refresh_from_db()

    loaded = backend.get_user(user.pk)

    assert (loaded.date_joined, loaded.last_login, loaded.saved_filters) == (
        user.date_joined,
        user.last_login,
        [{"name": "Paid", "query": "status=paid"}],
    )
