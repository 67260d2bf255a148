"""The order lifecycle: the one table of allowed status changes (DESIGN §4).

Each entry maps (from, to) to the history kind written when it happens. Anything not in the
table is refused; cancelled and returned lead nowhere else, so cancellations and refunds are
final.
"""

from boxoffice.orders.models import OrderEventKind as Kind
from boxoffice.orders.models import OrderStatus as S

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.RESERVED, S.PAID): Kind.PAID,
    (S.RESERVED, S.CANCELLED): Kind.CANCELLED,
    (S.INVOICING, S.PAID): Kind.PAID,
    (S.INVOICING, S.CANCELLED): Kind.CANCELLED,
    (S.PAID, S.CANCELLED): Kind.CANCELLED,
    (S.PAID, S.RETURN_REQUESTED): Kind.RETURN_REQUESTED,
    (S.RETURN_REQUESTED, S.PAID): Kind.RETURN_DECLINED,
    (S.RETURN_REQUESTED, S.CANCELLED): Kind.CANCELLED,
    (S.CANCELLED, S.RETURNED): Kind.REFUNDED,
}


def is_allowed(from_status: str, to_status: str) -> bool:
    return (from_status, to_status) in TRANSITIONS


def targets_from(status: str) -> set[str]:
    return {to for (frm, to) in TRANSITIONS if frm == status}
