"""The login backend: Django's email-and-password check, and a per-request user read that also
brings what every back-office request asks next.

Each back-office request reads its user, then the second-factor standing (has an authenticator?
does an organizer of theirs require one?) and the user's memberships (the principal's roles).
Asked separately that is three round trips before the page's own work; here it is one query,
one row per membership. Nothing is kept across requests: a membership removed or a second
factor required takes effect on the very next request, as before.

The query is written out, not built by the ORM: it runs on every request, and composing its
two EXISTS subqueries cost several times what the database takes to answer them.
"""

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from boxoffice.accounts.models import Membership, Organizer, User


@cache
def _user_with_roles_sql() -> str:
    quote = connection.ops.quote_name
    user, member, device, organizer = (
        quote(model._meta.db_table) for model in (User, Membership, TOTPDevice, Organizer)
    )
    # The user's columns in the order of User._meta.concrete_fields, then the four extras.
    columns = ", ".join(f"u.{quote(f.column)}" for f in User._meta.concrete_fields)
    return f"""
        SELECT {columns},
               m.organizer_id AS member_of,
               m.role AS member_role,
               EXISTS (SELECT 1 FROM {device} d WHERE d.user_id = u.id AND d.confirmed)
                   AS has_device,
               EXISTS (SELECT 1 FROM {member} m2 JOIN {organizer} o ON o.id = m2.organizer_id
                       WHERE m2.user_id = u.id AND o.require_second_factor)
                   AS organizer_requires
        FROM {user} u
        LEFT JOIN {member} m ON m.user_id = u.id
        WHERE u.id = %s
    """


class UserWithRolesBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        # raw(): the model's own converters apply (SQLite's dates, the JSON field).
        # LEFT JOIN: a user without memberships (platform staff) still has its one row.
        rows = list(User._default_manager.raw(_user_with_roles_sql(), [user_id]))
        if not rows or not self.user_can_authenticate(rows[0]):
            return None
        user = rows[0]
        # The extra columns are plain attributes of each row (vars: the model declares none).
        found = [vars(row) for row in rows]
        user.loaded_roles = {
            row["member_of"]: row["member_role"] for row in found if row["member_of"] is not None
        }
        user.loaded_standing = (bool(found[0]["has_device"]), bool(found[0]["organizer_requires"]))
        return user
