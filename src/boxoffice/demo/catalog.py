"""The demo's organizers, people who log in, events and products."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from stdnum.fi import ytunnus

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.catalog.models import Event, FundsManager, Product

PASSWORD = "demo"
HELSINKI = ZoneInfo("Europe/Helsinki")
VAT_EVENT = Decimal("10.00")  # culture and events
VAT_GENERAL = Decimal("25.50")  # merchandise, parking, conferences
VAT_FOOD = Decimal("14.00")  # food and restaurant services
VAT_NONE = Decimal("0.00")  # free tickets, donations outside VAT


def business_id(base: str) -> str:
    """Append the Y-tunnus check digit to a 7-digit base (weights 7,9,10,5,8,4,2 mod 11).

    Computed rather than typed, so a typo cannot slip an invalid ID past the model's validator.
    """
    remainder = sum(int(d) * w for d, w in zip(base, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    if remainder == 1:
        raise ValueError(f"{base} has no valid check digit; pick another base")
    value = f"{base}-{0 if remainder == 0 else 11 - remainder}"
    if not ytunnus.is_valid(value):  # the library's opinion is the one the validator uses
        raise ValueError(f"{value} is not a valid business ID")
    return value


@dataclass(frozen=True)
class OrganizerSpec:
    slug: str
    name: str
    id_base: str
    street_address: str
    postal_code: str
    city: str
    support_email: str


ORGANIZERS = (
    OrganizerSpec(
        "demo-events",
        "Demo Events Oy",
        "3185263",
        "Hämeentie 33 B",
        "00500",
        "Helsinki",
        "asiakaspalvelu@demo-events.example.fi",
    ),
    OrganizerSpec(
        "other-events",
        "Toiset Tapahtumat ry",
        "2954170",
        "Hämeenkatu 12 A 4",
        "33200",
        "Tampere",
        "liput@toiset-tapahtumat.example.fi",
    ),
)


@dataclass(frozen=True)
class Login:
    email: str
    full_name: str
    role: str  # shown in the printed summary
    organizer: str | None = None  # slug; None for platform staff
    membership_role: str | None = None
    is_staff: bool = False


LOGINS = (
    Login("organizer@demo.test", "Olli Järjestäjä", "owner of Demo Events Oy", "demo-events",
          Role.OWNER),
    Login("support@demo.test", "Sari Tukiainen", "support at Demo Events Oy", "demo-events",
          Role.SUPPORT),
    Login("other@demo.test", "Toni Toivonen", "owner of Toiset Tapahtumat ry", "other-events",
          Role.OWNER),
    Login("staff@demo.test", "Pia Alustanen", "platform staff (all organizers)", is_staff=True),
)  # fmt: skip


@dataclass(frozen=True)
class ProductSpec:
    name: str
    price: str
    vat_rate: Decimal
    service_fee: str = "0.00"
    capacity: int | None = None
    # admission: one person per unit (participant name asked); addon: extras such as parking;
    # free: complimentary tickets, only in free orders.
    kind: str = "admission"
    weight: int = 10  # how often buyers pick it


@dataclass(frozen=True)
class EventSpec:
    organizer: str
    name: str
    venue: str
    starts_in_days: int  # negative: already happened
    starts_at: time
    duration: timedelta
    on_sale_days_ago: int  # sales opened this many days before today (at most ~120)
    weight: int  # share of the orders
    funds_manager: str = FundsManager.PLATFORM
    returns_until_days_before: int | None = None  # returns allowed until N days before start
    asks_organisation: bool = False  # participants give organisation and diet (conferences)
    products: tuple[ProductSpec, ...] = field(default_factory=tuple)


EVENTS = (
    EventSpec(
        "demo-events", "Sävelvirta-festivaali", "Kaapelitehdas, Helsinki", 75, time(14),
        timedelta(days=2, hours=9), on_sale_days_ago=120, weight=45,
        products=(
            ProductSpec("Päivälippu", "69.00", VAT_EVENT, "2.50", 8000, weight=40),
            ProductSpec("Kahden päivän lippu", "119.00", VAT_EVENT, "3.00", 6000, weight=30),
            ProductSpec("VIP-lippu", "189.00", VAT_EVENT, "3.00", 500, weight=6),
            ProductSpec("Festivaalipaita", "25.00", VAT_GENERAL, kind="addon", weight=6),
            ProductSpec("Pysäköinti, koko festivaali", "15.00", VAT_GENERAL, "1.50", 1500,
                        kind="addon", weight=5),
            ProductSpec("Lahjoitus nuorisotyölle", "5.00", VAT_NONE, kind="addon", weight=2),
            ProductSpec("Vapaalippu", "0.00", VAT_NONE, kind="free"),
        ),
    ),
    EventSpec(
        "demo-events", "Seitsemän veljestä", "Kaupunginteatteri, Helsinki", 24, time(19),
        timedelta(hours=2, minutes=45), on_sale_days_ago=90, weight=12,
        returns_until_days_before=3,
        products=(
            ProductSpec("Permanto", "42.00", VAT_EVENT, "1.50", 550, weight=40),
            ProductSpec("Parvi", "34.00", VAT_EVENT, "1.50", 320, weight=25),
            ProductSpec("Opiskelija / eläkeläinen", "28.00", VAT_EVENT, "1.50", 200, weight=15),
            ProductSpec("Väliaikatarjoilu", "12.00", VAT_FOOD, kind="addon", weight=8),
        ),
    ),
    EventSpec(
        "demo-events", "Sinfonia ja Sibelius", "Musiikkitalo, Helsinki", -12, time(19),
        timedelta(hours=2), on_sale_days_ago=112, weight=13,
        products=(
            ProductSpec("Aikuinen", "38.00", VAT_EVENT, "2.00", 1400, weight=40),
            ProductSpec("Lapsi (alle 16 v.)", "15.00", VAT_EVENT, "1.50", 300, weight=12),
            ProductSpec("Käsiohjelma", "5.00", VAT_GENERAL, kind="addon", weight=4),
            ProductSpec("Vapaalippu", "0.00", VAT_NONE, kind="free"),
        ),
    ),
    EventSpec(
        "other-events", "Pohjoisen Koodin Päivät", "Tampere-talo, Tampere", 40, time(9),
        timedelta(days=1, hours=8), on_sale_days_ago=110, weight=15,
        funds_manager=FundsManager.ORGANIZER, asks_organisation=True,
        products=(
            ProductSpec("Konferenssipassi", "249.00", VAT_GENERAL, "3.00", 1200, weight=30),
            ProductSpec("Opiskelijapassi", "49.00", VAT_GENERAL, "1.50", 400, weight=10),
            ProductSpec("Lounas, molemmat päivät", "28.00", VAT_FOOD, kind="addon", weight=10),
            ProductSpec("Puhujan vapaalippu", "0.00", VAT_NONE, kind="free"),
        ),
    ),
    EventSpec(
        "other-events", "Jazz-ilta Logomossa", "Logomo, Turku", -40, time(20),
        timedelta(hours=4), on_sale_days_ago=115, weight=15,
        products=(
            ProductSpec("Pääsylippu", "29.00", VAT_EVENT, "1.50", 1500, weight=40),
            ProductSpec("Jäsenlippu", "22.00", VAT_EVENT, "1.50", weight=15),
            ProductSpec("Narikka", "3.00", VAT_GENERAL, kind="addon", weight=5),
        ),
    ),
)  # fmt: skip


@dataclass
class DemoEvent:
    """An event as created, with what the order generator needs to know about it."""

    event: Event
    spec: EventSpec
    products: list[tuple[Product, ProductSpec]]
    owner: User

    @property
    def free_product(self) -> Product | None:
        return next((p for p, s in self.products if s.kind == "free"), None)


DEMO_ORGANIZER_MERCHANT = ("695861", "MONISAIPPUAKAUPPIAS")


def create_organizers() -> dict[str, Organizer]:
    return {
        spec.slug: Organizer.objects.create(
            slug=spec.slug,
            name=spec.name,
            business_id=business_id(spec.id_base),
            street_address=spec.street_address,
            postal_code=spec.postal_code,
            city=spec.city,
            country="FI",
            support_email=spec.support_email,
            # Events whose funds the organizer manages are paid to its own merchant account:
            # in the demo, Paytrail's public Shop-in-Shop test account, which the sandbox knows.
            paytrail_merchant_id=DEMO_ORGANIZER_MERCHANT[0],
            paytrail_secret=DEMO_ORGANIZER_MERCHANT[1],
        )
        for spec in ORGANIZERS
    }


def create_users(organizers: dict[str, Organizer], joined: datetime) -> dict[str, User]:
    users: dict[str, User] = {}
    for login in LOGINS:
        user = User.objects.create_user(
            email=login.email,
            password=PASSWORD,
            full_name=login.full_name,
            is_staff=login.is_staff,
            date_joined=joined,
        )
        if login.organizer and login.membership_role:
            Membership.objects.create(
                user=user, organizer=organizers[login.organizer], role=login.membership_role
            )
        users[login.email] = user
    return users


def _event_start(today: datetime, spec: EventSpec) -> datetime:
    day = (today + timedelta(days=spec.starts_in_days)).astimezone(HELSINKI).date()
    return datetime.combine(day, spec.starts_at, tzinfo=HELSINKI)


def create_events(
    organizers: dict[str, Organizer], owners: dict[str, User], now: datetime
) -> list[DemoEvent]:
    created: list[DemoEvent] = []
    for spec in EVENTS:
        starts = _event_start(now, spec)
        returns_deadline = (
            starts - timedelta(days=spec.returns_until_days_before)
            if spec.returns_until_days_before is not None
            else None
        )
        event = Event.objects.create(
            organizer=organizers[spec.organizer],
            name=spec.name,
            starts_at=starts,
            ends_at=starts + spec.duration,
            venue=spec.venue,
            timezone="Europe/Helsinki",
            default_funds_manager=spec.funds_manager,
            returns_allowed=returns_deadline is not None,
            returns_deadline=returns_deadline,
        )
        products = [
            (
                Product.objects.create(
                    event=event,
                    name=p.name,
                    price=Decimal(p.price),
                    vat_rate=p.vat_rate,
                    service_fee=Decimal(p.service_fee),
                    capacity=p.capacity,
                ),
                p,
            )
            for p in spec.products
        ]
        created.append(DemoEvent(event, spec, products, owners[spec.organizer]))
    return created
