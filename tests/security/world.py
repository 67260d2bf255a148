"""The data the access matrix runs against, built once per module, and how a row's request is
made for a principal.

Organizer A ("Alpha") owns everything the URLs name: an event and product, orders in the
statuses the rows need (one paid order needs attention and has an internal comment by A's
owner), an API token, a scanner device, a webhook and a refund in the platform's manual queue.
Its members have every role. Organizer B ("Beta") has its owner and an owner token: the foreign
principal. Platform staff and a platform token have no organizer. A revoked owner token of A
must get what no token gets.

People are logged in with ``force_login`` and have no authenticator: the second-factor
middleware lets them through because the tests run with the Paytrail sandbox on (pytest-env),
where platform staff need no second factor either (accounts.second_factor.staff_must).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from boxoffice.accounts.models import ApiToken, Membership, Organizer, User
from boxoffice.accounts.tokens import api_token_create, api_token_revoke
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.checkin.models import CheckinDevice
from boxoffice.checkin.services import checkin_device_create
from boxoffice.exports.models import Export, ExportChunk
from boxoffice.jobs.models import Job, JobState
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderComment, OrderStatus, PaymentMethod
from boxoffice.orders.services import (
    Customer,
    OrderLine,
    order_cancel,
    order_comment_add,
    order_place,
    order_transition,
)
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import AttentionItem, Refund
from boxoffice.payments.services import refund_request
from boxoffice.webhooks.models import WebhookEndpoint

from . import matrix
from .matrix import ANON, FOREIGN, STAFF, Row

ALPHA = "Alpha Events Oy"
ALPHA_EVENT = "Alpha Fest"
ALPHA_BUYER = "alpha.buyer@example.com"
ALPHA_NOTE = "Alpha staff note: the buyer called twice"
FORGED_SECRET = "forged-secret-0000"
LOGIN_PREFIX = "/accounts/login/?next="
# Not a column of the table: an API principal checked to get what no token gets.
REVOKED = "revoked token"

# Fields that change on every use and are not what a refused request could have done.
VOLATILE_FIELDS = {"last_login", "last_used_at"}
# The Paytrail sandbox logs every call to its API, refused ones too (as its log page shows);
# the rate limits count every request, refused ones too (that is their point).
LOGS = {"paytrail_sandbox.SandboxLogEntry", "common.RateCounter"}


@dataclass
class World:
    alpha: Organizer
    beta: Organizer
    event: Event
    product: Product
    orders: dict[str, Order]
    users: dict[str, User | None]
    tokens: dict[str, str | None]  # principal -> bearer token value
    target_token: ApiToken
    device: CheckinDevice
    webhook: WebhookEndpoint
    manual_refund: Refund
    attention: AttentionItem
    comment: OrderComment  # on the paid order, by A's owner (who may edit it for 15 minutes)
    export: Export  # a finished background export of A's owner (theirs alone to download)
    api_job: Job  # a finished export job started by one of A's API tokens
    # What organizer A's data looks like on a page: none of it may show to B.
    markers: list[str] = field(default_factory=list)

    def order(self, row: Row) -> Order:
        return self.orders[row.order]

    def placeholders(self, row: Row) -> dict[str, Any]:
        order = self.order(row)
        ticket = order.tickets.order_by("pk").first()
        assert ticket is not None
        owner = self.users[matrix.OWNER]
        assert owner is not None
        return {
            "owner_email": owner.email,
            "organizer_id": self.alpha.pk,
            "event_id": self.event.pk,
            "event_name": self.event.name,
            "product_id": self.product.pk,
            "ticket_secret": ticket.secret,
            "code": order.code,
        }

    def parameters(self, row: Row, *, genuine: bool = False) -> dict[str, Any]:
        """Values for the path parameters of the row's URL, by name (PARAMETERS)."""
        return {name: value(self, row, genuine) for name, value in PARAMETERS.items()}


def _ticket_id(world: World, row: Row, genuine: bool) -> int:
    ticket = world.order(row).tickets.order_by("pk").first()
    assert ticket is not None
    return ticket.pk


# Every path parameter a URL or API operation takes, and its value for a row. A public row's
# secret is forged unless the genuine request is asked for.
PARAMETERS: dict[str, Any] = {
    "code": lambda w, row, genuine: w.order(row).code,
    "secret": lambda w, row, genuine: w.order(row).secret if genuine else FORGED_SECRET,
    "ticket_id": _ticket_id,
    "item_id": lambda w, row, genuine: w.attention.pk,
    "comment_id": lambda w, row, genuine: w.comment.pk,
    "export_id": lambda w, row, genuine: w.export.pk,
    "job_id": lambda w, row, genuine: w.api_job.pk,
    "event_id": lambda w, row, genuine: w.event.pk,
    "device_id": lambda w, row, genuine: w.device.pk,
    "token_id": lambda w, row, genuine: w.target_token.pk,
    "refund_id": lambda w, row, genuine: w.manual_refund.pk,
    "webhook_id": lambda w, row, genuine: w.webhook.pk,
    "transaction_id": lambda w, row, genuine: "forged-transaction",
    "outcome": lambda w, row, genuine: "success",
}


def _place(product: Product, method: str, email: str = ALPHA_BUYER) -> Order:
    return order_place(
        event=product.event,
        lines=[OrderLine(product=product, quantity=2)],
        customer=Customer(email=email, name="Alpha Buyer"),
        payment_method=method,
        actor=Actor.customer(email),
    )


def _order_in(status: str, product: Product, actor: Actor) -> Order:
    method = PaymentMethod.INVOICE if status == OrderStatus.INVOICING else PaymentMethod.PAYTRAIL
    order = _place(product, method)
    if status != OrderStatus.INVOICING:
        order = order_mark_paid(order=order, actor=actor, reference="PT-1")
    if status == OrderStatus.RETURN_REQUESTED:
        with transaction.atomic():
            order_transition(
                order=order, to=OrderStatus.RETURN_REQUESTED, actor=Actor.customer(ALPHA_BUYER)
            )
    if status == OrderStatus.CANCELLED:
        order = order_cancel(order=order, actor=actor, reason="setup")
    order.refresh_from_db()
    assert order.status == status
    return order


def _organizer(name: str, slug: str) -> Organizer:
    return Organizer.objects.create(
        name=name,
        slug=slug,
        business_id="0737546-2",
        support_email=f"support@{slug}.example.com",
        street_address="Mannerheimintie 1",
        postal_code="00100",
        city="Helsinki",
    )


def _user(email: str, organizer: Organizer | None = None, role: str = "", **kw: Any) -> User:
    # No password: the tests log in with force_login (and a hash would cost time).
    user = User.objects.create_user(email=email, password=None, **kw)
    if organizer is not None:
        Membership.objects.create(user=user, organizer=organizer, role=role)
    return user


def build() -> World:
    from backoffice.routes import attention_item
    from boxoffice.paytrail_sandbox import control

    alpha = _organizer(ALPHA, "alpha")
    beta = _organizer("Beta Events Oy", "beta")
    start = timezone.now() + timedelta(days=30)
    event = Event.objects.create(
        organizer=alpha,
        name=ALPHA_EVENT,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        venue="Suvilahti, Helsinki",
        default_funds_manager=FundsManager.PLATFORM,
    )
    product = Product.objects.create(
        event=event,
        name="Alpha day ticket",
        price=Decimal("49.00"),
        vat_rate=Decimal("10.00"),
        service_fee=Decimal("2.50"),
        capacity=100,
    )
    users: dict[str, User | None] = {ANON: None}
    users[FOREIGN] = _user("beta.owner@example.com", beta, matrix.OWNER)
    for role in matrix.ROLES:
        users[role] = _user(f"{role}@alpha.example.com", alpha, role)
    users[STAFF] = _user("staff@example.com", is_staff=True)
    owner = users[matrix.OWNER]
    assert owner is not None
    actor = Actor.for_user(owner)

    orders = {
        status: _order_in(status, product, actor)
        for status in (
            matrix.PAID,
            matrix.INVOICING,
            matrix.CANCELLED,
            matrix.RETURN_REQUESTED,
        )
    }
    attention = attention_item(orders[matrix.PAID])
    comment = order_comment_add(order=orders[matrix.PAID], actor=actor, text=ALPHA_NOTE)
    # A refund in the platform's manual queue: an Epassi order, paid, cancelled, refunded.
    epassi = order_mark_paid(
        order=_place(product, PaymentMethod.EPASSI), actor=actor, reference="EP-1"
    )
    epassi = order_cancel(order=epassi, actor=actor)
    manual_refund = refund_request(order=epassi, actor=actor)

    tokens: dict[str, str | None] = {ANON: None}
    tokens[FOREIGN] = api_token_create(
        organizer=beta, role=matrix.OWNER, name="Beta owner", created_by=None
    )[1]
    for role in matrix.ROLES:
        tokens[role] = api_token_create(
            organizer=alpha, role=role, name=f"Alpha {role}", created_by=None
        )[1]
    tokens[STAFF] = api_token_create(
        organizer=None, role=matrix.MANAGER, name="Platform", created_by=None
    )[1]
    # An owner token of A, revoked: it must open nothing, like no token at all.
    revoked, tokens[REVOKED] = api_token_create(
        organizer=alpha, role=matrix.OWNER, name="Alpha old owner", created_by=owner
    )
    api_token_revoke(api_token=revoked)
    target_token = api_token_create(
        organizer=alpha, role=matrix.VIEWER, name="Alpha accounting", created_by=owner
    )[0]
    device = checkin_device_create(event=event, name="Alpha door", created_by=owner)[0]
    webhook = WebhookEndpoint.objects.create(
        organizer=alpha,
        url="https://hooks.alpha.example.com/boxoffice",
        secret="alpha-webhook-secret",
        events=["order.paid"],
        created_at=timezone.now(),
    )
    control.get_control()  # the sandbox's switches exist before any test reads them
    export = _finished_export(user=owner)
    exporter = api_token_create(
        organizer=alpha, role=matrix.VIEWER, name="Alpha exporter", created_by=owner
    )[0]
    api_job = _finished_export(api_token=exporter, organizer=alpha).job
    assert api_job is not None

    markers = [ALPHA, ALPHA_EVENT, ALPHA_BUYER, "hooks.alpha.example.com", "Alpha accounting"]
    markers.append(ALPHA_NOTE)
    markers += [order.code for order in orders.values()]
    return World(
        alpha=alpha,
        beta=beta,
        event=event,
        product=product,
        orders=orders,
        users=users,
        tokens=tokens,
        target_token=target_token,
        device=device,
        webhook=webhook,
        manual_refund=manual_refund,
        attention=attention,
        comment=comment,
        export=export,
        api_job=api_job,
        markers=markers,
    )


def _finished_export(organizer: Organizer | None = None, **who: Any) -> Export:
    """A background export, done: one chunk of file, kept for a week."""
    now = timezone.now()
    job = Job.objects.create(
        organizer=organizer,
        kind="export",
        state=JobState.DONE,
        params={
            "per": "orders",
            "format": "csv",
            "delimiter": ",",
            "filters": {},
            "scope": [organizer.pk] if organizer else [],
        },
        total=1,
        done=1,
        finished_at=now,
        **who,
    )
    export = Export.objects.create(
        format="csv", per="orders", job=job, rows=1, finished_at=now,
        expires_at=now + timedelta(days=7), **who,
    )  # fmt: skip
    ExportChunk.objects.create(export=export, seq=0, data=f"{ALPHA_BUYER}\r\n".encode())
    return export


# -- the state a refused request must leave alone -----------------------------------------------


def _snapshot_models() -> list[type[models.Model]]:
    from django_tasks_db.models import DBTaskResult

    found: list[type[models.Model]] = [
        m for m in apps.get_models() if m.__module__.startswith("boxoffice.")
    ]
    return [*found, DBTaskResult]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the application's tables (but the fields every use touches). Plain SQL:
    the ORM would spend more time compiling the queries than running them."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in _snapshot_models():
            if model._meta.label in LOGS:
                continue
            columns = ", ".join(
                quote(f.column)
                for f in model._meta.concrete_fields
                if f.attname not in VOLATILE_FIELDS
            )
            table = quote(model._meta.db_table)
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {quote(model._meta.pk.column)}")
            state[model._meta.label] = cursor.fetchall()
    return state


# -- requests ------------------------------------------------------------------------------------


def fill(value: Any, placeholders: dict[str, Any]) -> Any:
    """Fill "{name}" placeholders; a string that is one placeholder takes the value's type."""
    if isinstance(value, dict):
        return {k: fill(v, placeholders) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, placeholders) for v in value]
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in placeholders:
            return placeholders[value[1:-1]]
        return value.format(**placeholders)
    return value


def page_client(world: World, principal: str) -> Client:
    client = Client()
    user = world.users[principal]
    if user is not None:
        client.force_login(user)
    return client


def page_url(world: World, row: Row, pattern_parameters: tuple[str, ...], genuine: bool) -> str:
    values = world.parameters(row, genuine=genuine)
    return reverse(row.name, kwargs={name: values[name] for name in pattern_parameters})


def page_request(
    world: World,
    client: Client,
    row: Row,
    pattern_parameters: tuple[str, ...],
    *,
    genuine: bool = False,
) -> Any:
    path = page_url(world, row, pattern_parameters, genuine)
    placeholders = world.placeholders(row)
    headers = {}
    if row.name == "checkin:scan":
        headers["Authorization"] = "Bearer forged-device-token"
    if row.method == "GET":
        return client.get(path, fill(matrix.QUERY.get(row.name, {}), placeholders), headers=headers)
    data = fill(matrix.POST_DATA.get(row.name, _routes_data(row.name)), placeholders)
    if row.name.startswith("paytrail_sandbox:") and row.name != "paytrail_sandbox:control":
        return client.generic(
            row.method, path, _json(data), content_type="application/json", headers=headers
        )
    return client.generic(
        row.method,
        path,
        _form(data),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def _routes_data(name: str) -> dict[str, Any]:
    from backoffice.routes import POST_DATA

    return POST_DATA.get(name.removeprefix("backoffice:"), {})


def _json(data: Any) -> str:
    import json

    return json.dumps(data)


def _form(data: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: str(v) for k, v in data.items()})


def api_request(world: World, row: Row, principal: str) -> Any:
    token = world.tokens[principal]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    placeholders = world.placeholders(row)
    path = row.name.format(**world.parameters(row))
    client = Client()
    if row.method == "GET":
        return client.get(path, headers=headers)
    body = fill(matrix.API_BODY.get((row.method, row.name), {}), placeholders)
    return client.generic(
        row.method, path, _json(body), content_type="application/json", headers=headers
    )
