"""The benchmark's organizers, events, products and logins (a few hundred rows, by the ORM).

Organizers differ in size the way a platform's do: the biggest sells about a seventh of all
tickets, the smallest a few hundred. Its owner is the login the benchmark measures with.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils.text import slugify

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.demo.catalog import business_id

OWNER_EMAIL = "owner@bench.test"
STAFF_EMAIL = "staff@bench.test"
DAY = 86400.0

CITIES = (  # (genitive for the organizer's name, the city)
    ("Helsingin", "Helsinki"), ("Espoon", "Espoo"), ("Tampereen", "Tampere"),
    ("Vantaan", "Vantaa"), ("Oulun", "Oulu"), ("Turun", "Turku"), ("Jyväskylän", "Jyväskylä"),
    ("Lahden", "Lahti"), ("Kuopion", "Kuopio"), ("Porin", "Pori"), ("Joensuun", "Joensuu"),
    ("Lappeenrannan", "Lappeenranta"), ("Hämeenlinnan", "Hämeenlinna"), ("Vaasan", "Vaasa"),
    ("Seinäjoen", "Seinäjoki"), ("Rovaniemen", "Rovaniemi"), ("Kotkan", "Kotka"),
    ("Mikkelin", "Mikkeli"), ("Kokkolan", "Kokkola"), ("Porvoon", "Porvoo"),
    ("Rauman", "Rauma"), ("Savonlinnan", "Savonlinna"),
)  # fmt: skip
KINDS = (
    "Tapahtumat Oy", "Konsertit Oy", "Kulttuuriyhdistys ry", "Teatteri ry", "Festivaalit Oy",
    "Jazzyhdistys ry", "Urheiluseura ry", "Messut Oy", "Elokuvakerho ry", "Tanssiseura ry",
    "Kamarimusiikki ry",
)  # fmt: skip
EVENT_NAMES = (
    "Rantarock", "Syysjazz", "Kevätmessut", "Kesäyön konsertti", "Joulukonsertti",
    "Stand up -ilta", "Lastenteatteri: Muumipeikko", "Seitsemän veljestä", "Tangomarkkinat",
    "Kaupunkijuoksu", "Metsäfestivaali", "Satamablues", "Kirjamessut", "Ooppera-gaala",
    "Elokuvaviikot", "Talvitanssit", "Sirkusilta", "Kuorofestivaali", "Räppikeikka",
    "Kamarimusiikkipäivät", "Teknologiaseminaari", "Kansanmusiikkijuhlat", "Hiihtokisat",
    "Runoilta", "Valokuvanäyttely", "Nuorisokonsertti", "Viinimessut", "Urkuyö",
)  # fmt: skip
VENUES = (
    "Suvilahti, Helsinki", "Tampere-talo", "Logomo, Turku", "Paviljonki, Jyväskylä",
    "Tavastia, Helsinki", "Pakkahuone, Tampere", "Sibeliustalo, Lahti", "Musiikkitalo, Helsinki",
    "Kuopion Musiikkikeskus", "Oulun kaupunginteatteri", "Joensuun Areena", "Vanha Rauma",
    "Kulttuuritalo, Helsinki", "Seinäjoki Areena", "Porin Kirjurinluoto", "Kotkan Satama",
)  # fmt: skip
ADMISSIONS = (
    "Päivälippu", "Kaksipäivälippu", "Perhelippu", "Opiskelijalippu", "Eläkeläislippu",
    "VIP-lippu", "Permanto", "Parveke", "Aikuinen", "Lapsi",
)  # fmt: skip
SERVICE_FEES = (0, 50, 100, 150, 150, 200, 250, 350)  # cents per ticket
EXTRAS = (  # (name, VAT rate, lowest and highest price in euros)
    ("Pysäköinti", Decimal("25.50"), 8, 15),
    ("Festivaalipaita", Decimal("25.50"), 25, 35),
    ("Ruokalippu", Decimal("14.00"), 12, 25),
    ("Illallinen", Decimal("14.00"), 45, 80),
    ("Lahjoitus", Decimal("0.00"), 5, 20),
)
STAFF_FIRST = ("Liisa", "Markku", "Sanna", "Jari", "Tiina", "Pekka", "Hanna", "Timo")
STAFF_LAST = ("Lahtinen", "Koskinen", "Salo", "Heinonen", "Mattila", "Rantanen")


@dataclass(frozen=True)
class ProductInfo:
    id: int
    price: int  # cents
    fee: int  # cents
    vat: str


@dataclass
class EventInfo:
    """What the order generator needs of an event (times as epoch seconds)."""

    id: int
    organizer_id: int
    weight: float
    starts_at: float
    sales_open: float
    sales_close: float
    funds_manager: str
    returns_allowed: bool
    returns_deadline: float | None
    admissions: list[ProductInfo]
    extras: list[ProductInfo]
    free: ProductInfo | None
    # Who does organizer-side actions in the history (the owner's name for the biggest).
    staff_label: str
    staff_user_id: int | None = None
    admission_cum: list[float] = field(default_factory=list)


@dataclass
class Catalog:
    organizers: list[Organizer]
    events: list[EventInfo]
    owner: User
    staff: User


def _euros(cents: int) -> Decimal:
    return Decimal(cents) / 100


def create_catalog(
    rng: random.Random,
    *,
    now: datetime,
    organizers: int,
    events: int,
    password: str,
) -> Catalog:
    """Organizers, their events and products, the owner and staff logins (one transaction)."""
    start = now - timedelta(days=760)
    orgs = _create_organizers(rng, organizers, start)
    owner = User.objects.create_user(
        email=OWNER_EMAIL, password=password, full_name="Olli Omistaja", date_joined=start
    )
    Membership.objects.create(user=owner, organizer=orgs[0], role=Role.OWNER)
    staff = User.objects.create_user(
        email=STAFF_EMAIL,
        password=password,
        full_name="Pia Platform",
        is_staff=True,
        date_joined=start,
    )
    # Organizer weights fall off like a platform's customers: a few big, many small.
    org_weights = [1 / (i + 1) ** 0.8 for i in range(len(orgs))]
    per_org = [1] * len(orgs)
    extra = max(events - len(orgs), 0)
    total_weight = sum(org_weights)
    for i, w in enumerate(org_weights):
        per_org[i] += int(extra * w / total_weight)
    per_org[0] += max(events - sum(per_org), 0)
    infos: list[EventInfo] = []
    now_ts = now.timestamp()
    for i, org in enumerate(orgs):
        label = owner.full_name if i == 0 else f"{rng.choice(STAFF_FIRST)} {rng.choice(STAFF_LAST)}"
        shares = [rng.lognormvariate(0, 0.8) for _ in range(per_org[i])]
        for share in shares:
            info = _create_event(rng, org, now_ts, org_weights[i] * share / sum(shares))
            info.staff_label = label
            info.staff_user_id = owner.pk if i == 0 else None
            infos.append(info)
    return Catalog(organizers=orgs, events=infos, owner=owner, staff=staff)


def _create_organizers(rng: random.Random, count: int, created: datetime) -> list[Organizer]:
    made: list[Organizer] = []
    slugs: set[str] = set()
    base = 3100000
    for i in range(count):
        genitive, city = CITIES[i % len(CITIES)]
        name = f"{genitive} {KINDS[(i * 7 + i // len(CITIES)) % len(KINDS)]}"
        if i >= len(CITIES) * len(KINDS):
            name = f"{name} {i}"
        slug = slugify(name)
        while slug in slugs:
            slug = f"{slug}-{i}"
        slugs.add(slug)
        while True:
            base += 7919
            try:
                bid = business_id(f"{base:07d}")
                break
            except ValueError:
                continue
        made.append(
            Organizer(
                name=name,
                slug=slug,
                business_id=bid,
                street_address=f"Esimerkkikatu {rng.randint(1, 80)}",
                postal_code=f"{rng.randint(0, 99):02d}{rng.randint(1, 9)}00",
                city=city,
                support_email=f"asiakaspalvelu@{slug}.example.fi",
            )
        )
    orgs = Organizer.objects.bulk_create(made)
    Organizer.objects.filter(pk__in=[o.pk for o in orgs]).update(created_at=created)
    return orgs


def _create_event(rng: random.Random, org: Organizer, now: float, weight: float) -> EventInfo:
    # Events from two years back to four months ahead; each sells for 1.5-6 months before it.
    starts = now - 700 * DAY + rng.random() * 820 * DAY
    starts -= starts % 1800  # on the half hour
    sales_open = max(starts - rng.uniform(45, 180) * DAY, now - 730 * DAY)
    sales_close = min(starts, now - 60)
    sales_open = min(sales_open, sales_close - DAY)
    returns_allowed = rng.random() < 0.3
    year = datetime.fromtimestamp(starts, UTC).year
    event = Event.objects.create(
        organizer=org,
        name=f"{rng.choice(EVENT_NAMES)} {year}",
        starts_at=datetime.fromtimestamp(starts, UTC),
        ends_at=datetime.fromtimestamp(starts + rng.choice((2, 3, 5, 30, 54)) * 3600, UTC),
        venue=rng.choice(VENUES),
        default_funds_manager=(
            FundsManager.ORGANIZER if rng.random() < 0.2 else FundsManager.PLATFORM
        ),
        returns_allowed=returns_allowed,
        returns_deadline=(
            datetime.fromtimestamp(starts - 2 * DAY, UTC) if returns_allowed else None
        ),
    )
    Event.objects.filter(pk=event.pk).update(
        created_at=datetime.fromtimestamp(sales_open - 7 * DAY, UTC)
    )
    # 1 to 4 VAT rates: admissions (10 %), then merchandise (25.5 %), food (14 %), donations (0 %).
    rates = rng.choices((1, 2, 3, 4), (35, 35, 20, 10))[0]
    specs: list[tuple[str, Decimal, int, int]] = []
    for name in rng.sample(ADMISSIONS, rng.choice((1, 2, 2, 3))):
        specs.append((name, Decimal("10.00"), rng.randint(24, 240) * 50, rng.choice(SERVICE_FEES)))
    by_rate = [[e for e in EXTRAS if e[1] == Decimal(rate)] for rate in ("25.50", "14.00", "0")]
    for group in by_rate[: rates - 1]:
        name, vat, low, high = rng.choice(group)
        fee = 0 if vat == 0 else rng.choice(SERVICE_FEES[:4])
        specs.append((name, vat, rng.randint(low, high) * 100, fee))
    has_free = rng.random() < 0.3
    if has_free:
        specs.append(("Kutsuvieras", Decimal("10.00"), 0, 0))
    products = Product.objects.bulk_create(
        Product(event=event, name=name, price=_euros(price), vat_rate=vat, service_fee=_euros(fee))
        for name, vat, price, fee in specs
    )
    infos = [
        (ProductInfo(p.pk, price, fee, f"{vat:.2f}"), vat)
        for p, (_name, vat, price, fee) in zip(products, specs, strict=True)
    ]
    admissions = [info for info, vat in infos if vat == Decimal("10.00") and info.price > 0]
    extras = [info for info, vat in infos if vat != Decimal("10.00")]
    free = next((info for info, _vat in infos if info.price == 0), None)
    # The first admission sells most; the others less and less.
    cum, acc = [], 0.0
    for i in range(len(admissions)):
        acc += 1 / (i + 1) ** 1.5
        cum.append(acc)
    return EventInfo(
        id=event.pk,
        organizer_id=org.pk,
        weight=weight,
        starts_at=starts,
        sales_open=sales_open,
        sales_close=sales_close,
        funds_manager=event.default_funds_manager,
        returns_allowed=returns_allowed,
        returns_deadline=starts - 2 * DAY if returns_allowed else None,
        admissions=admissions,
        extras=extras,
        free=free,
        staff_label="",
        admission_cum=cum,
    )
