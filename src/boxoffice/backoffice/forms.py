"""Back-office forms: parse and validate input; services do the writing."""

from datetime import date, datetime, time, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from boxoffice.orders import rules
from boxoffice.orders.models import (
    COMMENT_MAX_LENGTH,
    Language,
    Order,
    OrderStatus,
    PaymentMethod,
    Ticket,
)
from boxoffice.payments.order_list import ListFilters, RefundStanding

if TYPE_CHECKING:
    from boxoffice.backoffice.presenters import CancelOffer

SEARCH_MAX = 200


class PlainSelect(forms.Select):
    """A select rendered in one pass, without a widget template per option: the list's event
    filter has an option per event, and rendering those made up most of a search page's time.
    (No option groups: the list's choices have none.)"""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        selected = next(iter(self.format_value(value)), "")
        # The standard library's escape per value (what Django's wraps), joined once:
        # format_html per option cost a millisecond a page.
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) == selected else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}</select>')


class DateInput(forms.DateInput):
    """The browser's date picker; it sends ISO dates, which DateField always accepts."""

    input_type = "date"

    def format_value(self, value: Any) -> str | None:
        return value.isoformat() if isinstance(value, date) else value


PAGE_SIZES = (50, 100, 200)
DEFAULT_SORT = "-created"
SORT_CHOICES = [
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("-total", _("Largest total first")),
    ("total", _("Smallest total first")),
    ("status", _("By status")),
    ("-status", _("By status, reversed")),
]


# Every order lies between these days, so a day outside them is moved onto the nearest without
# changing what it selects (near year 1 or 9999 the time zone arithmetic would overflow).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def _day_start(day: date | None, *, days: int = 0) -> datetime | None:
    """Local midnight starting ``day`` (plus ``days``): a day picked in a filter is a whole
    day where the organizer is."""
    if day is None:
        return None
    day = min(max(day, FIRST_DAY), LAST_DAY)
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))


class OrderFilterForm(forms.Form):
    """The list's GET parameters. Unknown values are ignored rather than failing the page."""

    q = forms.CharField(
        required=False, label=_("Search"), widget=forms.TextInput(attrs={"maxlength": SEARCH_MAX})
    )
    event = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Event"), widget=PlainSelect
    )
    organizer = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Organizer"), widget=PlainSelect
    )
    status = forms.ChoiceField(required=False, label=_("Status"), widget=PlainSelect)
    payment_method = forms.ChoiceField(
        required=False, label=_("Payment method"), widget=PlainSelect
    )
    attention = forms.BooleanField(required=False, label=_("Needs attention only"))
    created_from = forms.DateField(required=False, label=_("Created from"), widget=DateInput)
    created_to = forms.DateField(required=False, label=_("Created until"), widget=DateInput)
    paid_from = forms.DateField(required=False, label=_("Paid from"), widget=DateInput)
    paid_to = forms.DateField(required=False, label=_("Paid until"), widget=DateInput)
    product = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Product"), widget=PlainSelect
    )
    refund = forms.ChoiceField(
        required=False,
        label=_("Refund"),
        choices=[("", _("All")), *RefundStanding.choices],
        widget=PlainSelect,
    )
    checked_in = forms.ChoiceField(
        required=False,
        label=_("Check-in"),
        choices=[("", _("All")), ("yes", _("Checked in")), ("no", _("Not checked in"))],
        widget=PlainSelect,
    )
    language = forms.ChoiceField(
        required=False,
        label=_("Customer language"),
        choices=[("", _("All")), *Language.choices],
        widget=PlainSelect,
    )
    sort = forms.ChoiceField(
        required=False, label=_("Sort"), choices=SORT_CHOICES, widget=PlainSelect
    )
    per_page = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label=_("Rows per page"),
        choices=[(n, str(n)) for n in PAGE_SIZES],
        widget=PlainSelect,
    )

    # The filters behind "More filters" (the rest are always in view).
    MORE = (
        "created_from",
        "created_to",
        "paid_from",
        "paid_to",
        "product",
        "refund",
        "checked_in",
        "language",
    )

    def __init__(
        self,
        *args: Any,
        events: list[tuple[int, str]],
        organizers: list[tuple[int, str]] | None,
        products: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # No NUL refusal on the search (clean_q drops it): a refused search lists everything.
        self.fields["q"].validators = []
        all_label = _("All")
        choices: dict[str, list[tuple[Any, Any]]] = {
            "event": [("", _("All events")), *events],
            "status": [("", all_label), *OrderStatus.choices],
            "payment_method": [("", all_label), *PaymentMethod.choices],
        }
        if organizers is None:
            del self.fields["organizer"]
        else:
            choices["organizer"] = [("", _("All organizers")), *organizers]
        # A product is one event's: offered once an event is chosen (ids of other events'
        # products, and of other organizers', are simply not among the choices).
        if products is None:
            del self.fields["product"]
        else:
            choices["product"] = [("", _("All products")), *products]
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def clean_q(self) -> str:
        # A pasted paragraph is cut, not rejected: rejecting would silently list every order.
        # For the same reason a NUL (which PostgreSQL text cannot hold) is dropped, as the API
        # does, instead of invalidating the search.
        return str(self.cleaned_data.get("q") or "").replace("\x00", "")[:SEARCH_MAX]

    def clean_attention(self) -> bool:
        # A checkbox reads "0" as ticked; a link or a person typing ?attention=0 means no.
        return str(self.data.get("attention", "")).lower() in ("1", "true", "on", "yes")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end in (("created_from", "created_to"), ("paid_from", "paid_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("The end date is before the start date."))
        return data

    def filters(self) -> ListFilters:
        """The list's filters from what was valid; what was not is left out (and shown)."""
        checked_in = self.value("checked_in")
        return ListFilters(
            q=self.value("q") or "",
            event_id=self.value("event"),
            organizer_id=self.value("organizer"),
            status=self.value("status") or "",
            payment_method=self.value("payment_method") or "",
            created_after=_day_start(self.value("created_from")),
            created_before=_day_start(self.value("created_to"), days=1),
            paid_after=_day_start(self.value("paid_from")),
            paid_before=_day_start(self.value("paid_to"), days=1),
            product_id=self.value("product"),
            checked_in=None if checked_in is None else checked_in == "yes",
            language=self.value("language") or "",
            refund=self.value("refund") or "",
            sort=self.value("sort") or DEFAULT_SORT,
        )

    def more_in_use(self) -> bool:
        """Whether a filter behind "More filters" is set (the section then opens)."""
        return any(self.data.get(name) for name in self.MORE)

    def value(self, name: str) -> Any:
        """The cleaned value, or the empty value when that parameter was invalid."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return data.get(name) or None


class CustomerForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    @classmethod
    def for_order(cls, order: Order, data: Any = None) -> "CustomerForm":
        return cls(
            data,
            initial={
                "email": order.customer_email,
                "name": order.customer_name,
                "phone": order.customer_phone,
                "language": order.language,
            },
        )


class ParticipantForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": ticket.participant_name,
                "email": ticket.participant_email,
                **{f"field:{k}": v for k, v in ticket.participant_fields.items()},
            },
        )
        super().__init__(*args, **kwargs)
        # Extra questions the order form asked (e.g. diet, T-shirt size) stay editable.
        for key in ticket.participant_fields:
            self.fields[f"field:{key}"] = forms.CharField(label=key, required=False, max_length=500)

    def extra_fields(self) -> dict[str, str]:
        return {
            name.removeprefix("field:"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("field:")
        }


class MarkPaidForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference (e.g. invoice number or bank transfer reference)"),
        required=False,
        max_length=200,
    )


class MoneyChoice(models.TextChoices):
    REFUND = "refund", _("Refund now")
    KEEP = "keep", _("Cancel without a refund")


class CancelForm(forms.Form):
    """Cancel order. When the order holds refundable money the person says what happens to it
    (the page preselects the refund); otherwise there is nothing to ask."""

    money = forms.ChoiceField(
        label=_("The money"), choices=MoneyChoice.choices, required=False, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason (optional; shown to the customer and kept in the order history)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Asked the negative way round so that a POST without the field still tells the customer:
    # silence is the exception (a test order, a customer already told on the phone).
    skip_notice = forms.BooleanField(
        label=_("Do not email the customer a cancellation notice"),
        required=False,
    )

    def __init__(self, data: Any = None, *, offer: "CancelOffer | None" = None) -> None:
        super().__init__(data)
        self.offer = offer
        if offer is None or not offer.asks:
            del self.fields["money"]  # nothing paid (or nothing left): nothing to decide
        else:  # "Process Refund Immediately" unless it cannot be done
            self.fields["money"].initial = (
                MoneyChoice.REFUND if offer.refund_allowed else MoneyChoice.KEEP
            )

    def clean_money(self) -> str:
        money = str(self.cleaned_data.get("money") or "")
        assert self.offer is not None
        if not money:
            raise forms.ValidationError(_("Choose whether to refund the money now."))
        if money == MoneyChoice.REFUND and not self.offer.refund_allowed:
            raise forms.ValidationError(self.offer.refund_refusal)
        return money


class MarkRefundedForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference (e.g. bank transfer reference or receipt number)"),
        required=False,
        max_length=200,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DismissAttentionForm(forms.Form):
    note = forms.CharField(
        label=_("Why it needs nothing more"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
    )


class CommentForm(forms.Form):
    """An internal comment, new or edited. The text's rules (not empty, not too long) are
    orders.rules.comment_text, so the page says what the service would."""

    text = forms.CharField(
        label=_("Comment"),
        # Empty or blank gets the rule's own sentence, not "This field is required".
        required=False,
        strip=False,
        help_text=_("For your team only: never shown to the customer."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
    )

    @classmethod
    def for_edit(cls, comment_id: int, text: str, data: Any = None) -> "CommentForm":
        """The edit form of one comment (field ``text``), with field ids of its own."""
        form = cls(data, auto_id=f"comment-{comment_id}-%s", initial={"text": text})
        form.fields["text"].label = _("Your comment")
        return form

    def clean_text(self) -> str:
        text = rules.comment_cleaned(str(self.cleaned_data.get("text") or ""))
        verdict = rules.comment_text(text)
        if not verdict:
            raise forms.ValidationError(verdict.reason)
        return text
