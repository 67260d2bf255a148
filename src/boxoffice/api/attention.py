"""/api/v1/orders/{code}/attention/{id}/dismiss: a manager says an attention item needs nothing
more (the items themselves are in GET /orders/{code} and ?attention=1 lists the orders)."""

from django.http import HttpRequest
from ninja import Path, Router

from boxoffice.accounts.permissions import Action
from boxoffice.api import auth, errors
from boxoffice.api.idempotency import idempotent
from boxoffice.api.schemas import MAX_ID, DismissIn, ErrorOut, OrderOut
from boxoffice.payments.attention import attention_dismiss
from boxoffice.payments.models import AttentionItem
from boxoffice.payments.selectors import attention_item_for

router = Router()

WRITE_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


@router.post(
    "/orders/{code}/attention/{item_id}/dismiss",
    response={200: OrderOut, **WRITE_ERRORS},
    tags=["orders"],
)
@idempotent(OrderOut)
def attention_dismiss_endpoint(
    request: HttpRequest, code: str, payload: DismissIn, item_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, object]:
    """Dismiss an open attention item with a note (owner and manager tokens). The note is kept
    in the order's history. Dismissing it again changes nothing; a resolved item is a 422."""
    # views.py mounts this router, so it is imported when first needed, not at import time.
    from boxoffice.api.views import get_order, order_out

    order = get_order(request, code, Action.DISMISS_ATTENTION)
    try:
        item = attention_item_for(order, item_id)
    except AttentionItem.DoesNotExist:
        raise errors.not_found() from None
    attention_dismiss(item=item, actor=auth.actor(request), note=payload.note)
    return order_out(request, order)
