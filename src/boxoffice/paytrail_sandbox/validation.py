"""Request bodies checked the way spec §2.1 and §5.1 describe; each problem is one meta line.

Paytrail answers a validation failure with 400 ``{"status":"error","message":...,"meta":[...]}``
(§2.3); the sandbox lists every problem it finds, so a test sees all of them at once.
"""

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_AMOUNT = 99_999_999  # the yaml's limit; the README says 99999998 (spec §2.1)
MAX_UNITS = 99_999_998
INT32 = (-(2**31), 2**31 - 1)
LANGUAGES = ("FI", "SV", "EN")
GROUPS = ("mobile", "bank", "creditcard", "credit", "other")


class Problems(list[str]):
    def text(self, data: dict[str, Any], key: str, *, max_len: int, required: bool = False) -> None:
        value = data.get(key)
        if value is None:
            if required:
                self.append(f"{key} is required")
        elif not isinstance(value, str):
            self.append(f"{key} must be a string")
        elif required and not value:
            self.append(f"{key} must not be empty")
        elif len(value) > max_len:
            self.append(f"{key} must be at most {max_len} characters")

    def integer(
        self, data: dict[str, Any], key: str, *, low: int, high: int, required: bool = False
    ) -> None:
        value = data.get(key)
        if value is None:
            if required:
                self.append(f"{key} is required")
        # bool is an int in Python, and JSON's true is no amount.
        elif isinstance(value, bool) or not isinstance(value, int):
            self.append(f"{key} must be an integer")
        elif not low <= value <= high:
            self.append(f"{key} must be between {low} and {high}")

    def email(self, data: dict[str, Any], key: str, *, required: bool) -> None:
        before = len(self)
        self.text(data, key, max_len=200, required=required)
        if len(self) == before and data.get(key):
            try:
                validate_email(data[key])
            except ValidationError:
                self.append(f"{key} is not a valid email address")

    def url_pair(self, data: dict[str, Any], key: str, *, max_len: int, required: bool) -> None:
        value = data.get(key)
        if value is None:
            if required:
                self.append(f"{key} is required")
            return
        if not isinstance(value, dict):
            self.append(f"{key} must be an object with success and cancel")
            return
        for which in ("success", "cancel"):
            url = value.get(which)
            name = f"{key}.{which}"
            if not isinstance(url, str) or not url:
                self.append(f"{name} is required")
            elif len(url) > max_len:
                self.append(f"{name} must be at most {max_len} characters")
            # HTTPS is what Paytrail demands of callbacks; the sandbox also takes plain HTTP, so
            # a merchant on localhost can be called back.
            elif urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                self.append(f"{name} must be an absolute http(s) URL")

    def obj(
        self, data: dict[str, Any], key: str, *, required: bool = False
    ) -> dict[str, Any] | None:
        """The object under ``key``, or None (a problem noted when it is required or no object)."""
        value = data.get(key)
        if value is None:
            if required:
                self.append(f"{key} is required")
            return None
        if not isinstance(value, dict):
            self.append(f"{key} must be an object")
            return None
        return value

    def prefixed(self, prefix: str, inner: "Problems") -> None:
        self.extend(f"{prefix}.{problem}" for problem in inner)


def validate_create(data: dict[str, Any]) -> Problems:
    """Problems of a POST /payments body (spec §2.1); empty when it is fine."""
    problems = Problems()
    problems.text(data, "stamp", max_len=200, required=True)
    problems.text(data, "reference", max_len=200, required=True)
    problems.integer(data, "amount", low=1, high=MAX_AMOUNT, required=True)
    if data.get("currency") != "EUR":
        problems.append("currency must be EUR")
    if data.get("language") not in LANGUAGES:
        problems.append("language must be one of FI, SV, EN")
    items = data.get("items")
    without_vat = data.get("usePricesWithoutVat") is True
    if items is None and without_vat:
        problems.append("items is required when usePricesWithoutVat is true")
    elif items is not None:
        _items(problems, items, data.get("amount"), without_vat=without_vat)
    customer = problems.obj(data, "customer", required=True)
    if customer is not None:
        inner = Problems()
        inner.email(customer, "email", required=True)
        for key, limit in (("firstName", 50), ("lastName", 50), ("companyName", 100)):
            inner.text(customer, key, max_len=limit)
        for key in ("phone", "vatId"):
            inner.text(customer, key, max_len=200)
        problems.prefixed("customer", inner)
    problems.url_pair(data, "redirectUrls", max_len=300, required=True)
    problems.url_pair(data, "callbackUrls", max_len=3000, required=False)
    problems.integer(data, "callbackDelay", low=0, high=900)
    for key in ("deliveryAddress", "invoicingAddress"):
        address = problems.obj(data, key)
        if address is not None:
            inner = Problems()
            inner.text(address, "streetAddress", max_len=50, required=True)
            inner.text(address, "postalCode", max_len=15, required=True)
            inner.text(address, "city", max_len=30, required=True)
            inner.text(address, "county", max_len=200)
            inner.text(address, "country", max_len=2, required=True)
            problems.prefixed(key, inner)
    groups = data.get("groups")
    if groups is not None and (
        not isinstance(groups, list) or any(group not in GROUPS for group in groups)
    ):
        problems.append(f"groups must be a list of {', '.join(GROUPS)}")
    return problems


def _items(problems: Problems, items: Any, amount: Any, *, without_vat: bool) -> None:
    if not isinstance(items, list) or not items:
        problems.append("items must be a non-empty list")
        return
    total = 0
    stamps: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"items[{index}] must be an object")
            continue
        inner = Problems()
        inner.integer(item, "unitPrice", low=INT32[0], high=INT32[1], required=True)
        inner.integer(item, "units", low=1, high=MAX_UNITS, required=True)
        _vat(inner, item.get("vatPercentage"))
        inner.text(item, "productCode", max_len=100, required=True)
        inner.text(item, "description", max_len=1000)
        inner.text(item, "category", max_len=100)
        inner.text(item, "stamp", max_len=200)
        inner.text(item, "reference", max_len=200)
        stamp = item.get("stamp")
        if isinstance(stamp, str) and stamp in stamps:
            inner.append("stamp must be unique among the items")
        if isinstance(stamp, str):
            stamps.add(stamp)
        unit_price, units = item.get("unitPrice"), item.get("units")
        if without_vat and isinstance(unit_price, int) and unit_price <= 0:
            inner.append("unitPrice must be positive when usePricesWithoutVat is true")
        problems.prefixed(f"items[{index}]", inner)
        if not inner and isinstance(unit_price, int) and isinstance(units, int):
            total += unit_price * units
    # Without VAT the item prices do not add up to the VAT-inclusive amount; not checked then.
    if not problems and not without_vat and isinstance(amount, int) and total != amount:
        problems.append(f"amount {amount} does not match the item total {total}")


def _vat(problems: Problems, value: Any) -> None:
    if value is None:
        problems.append("vatPercentage is required")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append("vatPercentage must be a number")
        return
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        problems.append("vatPercentage must be a number")
        return
    if not 0 <= exact <= 100 or exact != exact.quantize(Decimal("0.1")):
        problems.append("vatPercentage must be 0-100 with at most one decimal")


def validate_refund(data: dict[str, Any], *, email_required: bool) -> Problems:
    """Problems of a refund body's shape (spec §5.1); the payment-dependent rules are in
    refunds.py."""
    problems = Problems()
    problems.integer(data, "amount", low=1, high=MAX_AMOUNT)
    items = data.get("items")
    if items is not None:
        if not isinstance(items, list) or not items:
            problems.append("items must be a non-empty list")
        else:
            for index, item in enumerate(items):
                inner = Problems()
                if not isinstance(item, dict):
                    problems.append(f"items[{index}] must be an object")
                    continue
                inner.integer(item, "amount", low=0, high=MAX_UNITS, required=True)
                inner.text(item, "stamp", max_len=200, required=True)
                problems.prefixed(f"items[{index}]", inner)
    if data.get("amount") is None and items is None:
        problems.append("amount or items is required")
    problems.text(data, "refundStamp", max_len=200)
    problems.text(data, "refundReference", max_len=200)
    problems.email(data, "email", required=email_required)
    problems.url_pair(data, "callbackUrls", max_len=3000, required=True)
    if not problems and isinstance(items, list) and data.get("amount") is not None:
        item_total = sum(item["amount"] for item in items)
        if item_total != data["amount"]:
            problems.append(f"amount {data['amount']} does not match the item total {item_total}")
    if not problems and isinstance(items, list) and sum(i["amount"] for i in items) < 1:
        problems.append("the refund must be at least 1 cent")
    return problems
