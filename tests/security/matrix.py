"""The access matrix (issue 14): who gets what on every URL and every API operation.

One row per (Django URL name, HTTP method) of every pattern the URL resolver knows, and one row
per (OpenAPI path, method) operation of the REST API. Each row says what each principal gets:

    anonymous   pages: not logged in; API: no token
    foreign     pages: the owner of organizer B; API: an owner token of organizer B. Everything
                the URL names (order, event, token, device...) belongs to organizer A.
    owner, manager, support, viewer
                pages: a member of organizer A with that role; API: an A token with that role
    staff       pages: platform staff (no membership); API: a platform token (no organizer)

Outcomes:

    ok       the row's ``ok`` status (what the view answers when it does its job)
    ok_own   the ``ok`` status, for the principal's own organizer: nothing of organizer A shows
    login    pages: 302 to /accounts/login/?next=...; API: 401 ``unauthorized``
    "404", "403", "400", "401", "405", "422", "302"
             exactly that status ("302": a redirect that is not to the login page)
    403_or_404
             either (for a role too low where both are acceptable)

Every refused outcome (login and 4xx) is also checked to change nothing in the database and to
show nothing of organizer A (tests/security/test_access_matrix.py).

Public URLs (customer links /o/..., Paytrail callbacks, the sandbox's Paytrail API, the scanner
endpoint) are ``public()`` rows: every principal, logged in or not, sends the request with a
forged secret, signature or device token and gets ``forged`` (never more because they are logged
in); ``genuine`` is what the real secret gets, checked once without login.

ADDING A URL: tests/security/test_matrix_complete.py fails until the URL has its rows here. Add
one ``url(...)`` line per method the view answers (or ``api(...)`` per OpenAPI operation),
with the outcome for each principal in the column order above. Path parameters are filled in
from their names (tests/security/world.py ``PARAMETERS``: ``code`` is organizer A's order in
the row's ``order`` status, ``event_id`` its event, ``token_id`` its API token...); a URL whose
view takes a new parameter name needs a value there too. POST data: ``POST_DATA`` below.
For example the owner's payment account page (``backoffice:paytrail_account``): two rows
and ``POST_DATA["backoffice:paytrail_account"]``. A real access-control bug found
here is marked ``xfail={principal: "why"}`` (strict) on its row until the app is fixed.

Counts: ``python tests/security/matrix.py``.
"""

from dataclasses import dataclass, field
from typing import Any

ANON = "anonymous"
FOREIGN = "foreign"
OWNER = "owner"
MANAGER = "manager"
SUPPORT = "support"
VIEWER = "viewer"
STAFF = "staff"
PRINCIPALS = (ANON, FOREIGN, OWNER, MANAGER, SUPPORT, VIEWER, STAFF)
# The roles of accounts.models.Role, in the table's column order (test_matrix_complete checks).
ROLES = (OWNER, MANAGER, SUPPORT, VIEWER)

OK = "ok"
OWN = "ok_own"
LOGIN = "login"
NF = "404"
FB = "403"
FB_NF = "403_or_404"
BAD = "400"
UNAUTH = "401"
UNPROCESSABLE = UN = "422"
REDIRECT = "302"
OUTCOMES = {OK, OWN, LOGIN, NF, FB, FB_NF, BAD, UNAUTH, "405", UNPROCESSABLE, REDIRECT}
# Outcomes that refuse the request: nothing may change and nothing of organizer A may show.
REFUSED = {LOGIN, NF, FB, FB_NF, BAD, UNAUTH, "405", UNPROCESSABLE}

# Organizer A's orders, in the statuses the rows need (the status an action starts from).
PAID = "paid"
INVOICING = "invoicing"
CANCELLED = "cancelled"
RETURN_REQUESTED = "return_requested"


@dataclass(frozen=True)
class Row:
    kind: str  # "url": a Django URL name; "api": an OpenAPI path
    name: str  # "backoffice:order_cancel" / "/api/v1/orders/{code}"
    method: str
    ok: int  # the status of success
    expect: dict[str, str]
    order: str = PAID  # the status of A's order that {code} names
    public: bool = False  # sent with a forged secret / signature / device token
    genuine: int | None = None  # public rows: what the genuine request gets (no login)
    sandbox: bool = False  # mounted only while settings.PAYTRAIL_SANDBOX is on
    xfail: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.method)

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


def _expect(*outcomes: str) -> dict[str, str]:
    assert len(outcomes) == len(PRINCIPALS), outcomes
    assert set(outcomes) <= OUTCOMES, outcomes
    return dict(zip(PRINCIPALS, outcomes, strict=True))


def url(
    name: str,
    method: str,
    ok: int,
    *outcomes: str,
    order: str = PAID,
    sandbox: bool = False,
    xfail: dict[str, str] | None = None,
) -> Row:
    """A Django URL: outcomes for anonymous, foreign, owner, manager, support, viewer, staff."""
    return Row(
        "url", name, method, ok, _expect(*outcomes), order, sandbox=sandbox, xfail=xfail or {}
    )


def public(
    name: str,
    method: str,
    forged: str,
    *,
    genuine: int | None = None,
    order: str = PAID,
    sandbox: bool = False,
) -> Row:
    """A URL anyone may call: what a forged secret or signature gets, whoever is logged in."""
    return Row(
        "url",
        name,
        method,
        genuine or 200,
        _expect(*[forged] * len(PRINCIPALS)),
        order,
        public=True,
        genuine=genuine,
        sandbox=sandbox,
    )


def api(
    method: str,
    path: str,
    ok: int,
    *outcomes: str,
    order: str = PAID,
    xfail: dict[str, str] | None = None,
) -> Row:
    """An OpenAPI operation: outcomes for no token, B's owner token, A's tokens by role, and a
    platform token."""
    return Row("api", path, method, ok, _expect(*outcomes), order, xfail=xfail or {})


L, S = LOGIN, STAFF  # short names for the columns below

# fmt: off
TABLE: list[Row] = [
    # -- site root, accounts, language -------------------------------------------------------
    #   name                                 method  ok   anon   foreign own  mgr  sup  view staff
    url("home",                              "GET",  302, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    # A logged-in user is sent on (redirect_authenticated_user); wrong password: the form again.
    url("login",                             "GET",  200, OK,    REDIRECT, *[REDIRECT] * 5),
    url("login",                             "POST", 200, OK,    REDIRECT, *[REDIRECT] * 5),
    url("logout",                            "POST", 302, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    url("logout",                            "GET",  405, "405", "405",  *["405"] * 5),
    # A wrong old password: the form again, the password unchanged.
    url("password_change",                   "GET",  200, L,     OK,     OK,  OK,  OK,  OK,  OK),
    url("password_change",                   "POST", 200, L,     OK,     OK,  OK,  OK,  OK,  OK),
    url("second_factor",                     "GET",  200, L,     OK,     OK,  OK,  OK,  OK,  OK),
    # Without an authenticator there is nothing to verify: off to set one up.
    url("second_factor_verify",              "GET",  302, L,     OK,     OK,  OK,  OK,  OK,  OK),
    url("set_language",                      "POST", 302, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    # -- back office: lists and the organizer's settings -------------------------------------
    url("backoffice:home",                   "GET",  302, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:order_list",             "GET",  200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    url("backoffice:order_export",           "GET",  200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    # Bulk actions name their orders (codes, or the list's filters): another organizer's
    # select nothing (422); a viewer's preview finds the action applies to none, and
    # confirming it is refused.
    url("backoffice:order_bulk",             "GET",  200, L,     UN,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:order_bulk",             "POST", 302, L,     UN,     OK,  OK,  OK,  UN,  OK),
    url("backoffice:checkin_events",         "GET",  200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    # A person's exports are their own: the list shows theirs, the file is the requester's.
    url("backoffice:export_list",            "GET",  200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    url("backoffice:export_download",        "GET",  200, L,     NF,     OK,  NF,  NF,  NF,  NF),
    # Events, and cancelling one (owners, managers and platform staff).
    url("backoffice:event_list",             "GET",  200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    url("backoffice:event_cancel",           "GET",  200, L,     NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:event_cancel",           "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    # The event's cancellation job: its organizer's members see it; owners, managers and staff
    # pause and resume it (others: 404).
    url("backoffice:job_detail",             "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:job_results_csv",        "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:job_pause",              "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:job_resume",             "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:job_retry",              "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    # Messages to customers: the list shows one's own organizers' messages; writing one takes
    # the owner or manager role (others: 404). B's owner selects none of A's orders (an event
    # not theirs selects nothing: the page says so; the send is refused, 400).
    url("backoffice:message_list",           "GET",  200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    url("backoffice:message_new",            "GET",  200, L,     OWN,    OK,  OK,  NF,  NF,  OK),
    url("backoffice:message_new",            "POST", 302, L,     BAD,    OK,  OK,  NF,  NF,  OK),
    # The person's own saved filters of the list: only their own user row changes, whoever.
    url("backoffice:saved_filter_save",      "POST", 302, L,     OK,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:saved_filter_delete",    "POST", 302, L,     OK,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:api_tokens",             "GET",  200, L,     OWN,    OK,  OK,  NF,  NF,  OK),
    # B's owner may not make a token for A: A is not a choice in the form (400, nothing made).
    url("backoffice:api_tokens",             "POST", 200, L,     BAD,    OK,  OK,  NF,  NF,  OK),
    url("backoffice:api_token_revoke",       "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    # Where the organizer's money goes: its owners only (B's owner sees B's account alone).
    # The POST sends no credentials, so the owner gets the form's errors back (200) and no
    # Paytrail call is made; anyone else gets 404 before the form is read.
    url("backoffice:paytrail_account",       "GET",  200, L,     OWN,    OK,  NF,  NF,  NF,  NF),
    url("backoffice:paytrail_account",       "POST", 200, L,     NF,     OK,  NF,  NF,  NF,  NF),
    # -- back office: one order of organizer A -----------------------------------------------
    url("backoffice:order_detail",           "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:order_customer",         "POST", 302, L,     NF,     OK,  OK,  OK,  NF,  OK),
    url("backoffice:ticket_participant",     "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:ticket_participant",     "POST", 302, L,     NF,     OK,  OK,  OK,  NF,  OK),
    url("backoffice:order_mark_paid",        "GET",  200, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=INVOICING),
    url("backoffice:order_mark_paid",        "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=INVOICING),
    url("backoffice:order_cancel",           "GET",  200, L,     NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:order_cancel",           "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:order_mark_refunded",    "GET",  200, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=CANCELLED),
    url("backoffice:order_mark_refunded",    "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=CANCELLED),
    url("backoffice:order_refund",           "GET",  200, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=CANCELLED),
    url("backoffice:order_refund",           "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=CANCELLED),
    # The former "Cancel and refund" address: GET opens Cancel order (a redirect).
    url("backoffice:order_cancel_and_refund", "GET", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:order_cancel_and_refund", "POST", 302, L,    NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:order_tickets_pdf",      "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:ticket_pdf",             "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:order_receipt_pdf",      "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:order_accept_return",    "GET",  200, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=RETURN_REQUESTED),
    url("backoffice:order_accept_return",    "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=RETURN_REQUESTED),
    url("backoffice:order_decline_return",   "GET",  200, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=RETURN_REQUESTED),
    url("backoffice:order_decline_return",   "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK,
        order=RETURN_REQUESTED),
    url("backoffice:attention_dismiss",      "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    # Internal comments: support and up write them; only its author (A's owner) edits one.
    url("backoffice:order_comment_add",      "POST", 302, L,     NF,     OK,  OK,  OK,  NF,  OK),
    url("backoffice:order_comment_edit",     "POST", 302, L,     NF,     OK,  NF,  NF,  NF,  NF),
    url("backoffice:order_resend",           "GET",  200, L,     NF,     OK,  OK,  OK,  NF,  OK),
    url("backoffice:order_resend",           "POST", 302, L,     NF,     OK,  OK,  OK,  NF,  OK),
    # -- back office: the door of organizer A's event ----------------------------------------
    url("backoffice:checkin_event",          "GET",  200, L,     NF,     OK,  OK,  OK,  NF,  OK),
    url("backoffice:checkin_event",          "POST", 200, L,     NF,     OK,  OK,  OK,  NF,  OK),
    url("backoffice:checkin_device_create",  "POST", 200, L,     NF,     OK,  OK,  NF,  NF,  OK),
    url("backoffice:checkin_device_revoke",  "POST", 302, L,     NF,     OK,  OK,  NF,  NF,  OK),
    # Its door list: every member may take it (a door without a scanner), not another organizer.
    url("backoffice:door_list_pdf",          "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    url("backoffice:door_list_csv",          "GET",  200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    # -- back office: platform staff only ----------------------------------------------------
    url("backoffice:platform_refunds",       "GET",  200, L,     NF,     NF,  NF,  NF,  NF,  OK),
    url("backoffice:platform_refund_complete", "POST", 302, L,   NF,     NF,  NF,  NF,  NF,  OK),
    # -- customers: the order's secret link is the key ---------------------------------------
    url("customer:links",                    "GET",  200, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    url("customer:links",                    "POST", 200, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    public("customer:order",                 "GET",  NF, genuine=200),
    public("customer:pay",                   "GET",  NF, genuine=302, order=INVOICING),
    public("customer:pay",                   "POST", NF),
    public("customer:tickets_pdf",           "GET",  NF, genuine=200),
    public("customer:ticket_pdf",            "GET",  NF, genuine=200),
    public("customer:receipt_pdf",           "GET",  NF, genuine=200),
    public("customer:participant",           "GET",  NF, genuine=200),
    public("customer:participant",           "POST", NF),
    public("customer:return",                "GET",  NF, genuine=200),
    public("customer:return",                "POST", NF),
    # -- Paytrail's callbacks and the customer's return: the signature is the key ------------
    public("payments:paytrail_refund_callback",  "GET", BAD),
    public("payments:paytrail_payment_callback", "GET", BAD),
    public("payments:paytrail_return",           "GET", BAD),
    # -- scanner devices: their own bearer token; a login session is not one -----------------
    public("checkin:scan",                   "POST", UNAUTH),
    # -- the API's own pages (its operations are the api() rows below) ------------------------
    # The schema and its docs are public (README: API); the root itself serves nothing.
    url("api:openapi-json",                  "GET",  200, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    url("api:openapi-view",                  "GET",  200, OK,    OK,     OK,  OK,  OK,  OK,  OK),
    url("api:api-root",                      "GET",  404, NF,    NF,     NF,  NF,  NF,  NF,  NF),
    # -- the Paytrail sandbox (only while PAYTRAIL_SANDBOX is on) ----------------------------
    # Its API wants Paytrail's signed headers (401 without); its payment page stands in for
    # Paytrail's site (an unknown transaction is a 404); its switches are platform staff's.
    public("paytrail_sandbox:payments",      "POST", UNAUTH, sandbox=True),
    public("paytrail_sandbox:payment",       "GET",  UNAUTH, sandbox=True),
    public("paytrail_sandbox:refund",        "POST", UNAUTH, sandbox=True),
    public("paytrail_sandbox:refund_email",  "POST", UNAUTH, sandbox=True),
    public("paytrail_sandbox:pay",           "GET",  NF, sandbox=True),
    public("paytrail_sandbox:pay",           "POST", NF, sandbox=True),
    url("paytrail_sandbox:control",          "GET",  200, L,     NF,     NF,  NF,  NF,  NF,  OK,
        sandbox=True),
    url("paytrail_sandbox:control",          "POST", 302, L,     NF,     NF,  NF,  NF,  NF,  OK,
        sandbox=True),
    # -- REST API (/api/v1, Authorization: Bearer): 401 without a token, 404 for another
    # organizer's object, 403 for a role too low; the platform token acts on every organizer.
    #   method   path                                   ok   none   foreign own  mgr  sup  view pltf
    api("GET",   "/api/v1/events",                      200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    api("GET",   "/api/v1/events/{event_id}",           200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("POST",  "/api/v1/events/{event_id}/orders",    201, L,     NF,     OK,  OK,  FB,  FB,  OK),
    api("GET",   "/api/v1/orders",                      200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    api("GET",   "/api/v1/orders/{code}",               200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("GET",   "/api/v1/orders/export",               200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    # An export job is seen by its organizer's tokens (a platform token's by platform tokens).
    api("GET",   "/api/v1/jobs/{job_id}",               200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("GET",   "/api/v1/jobs/{job_id}/file",          200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    # Cancelling a whole event: owners and managers (and platform staff); 202 with the job.
    api("POST",  "/api/v1/events/{event_id}/cancel",    202, L,     NF,     OK,  OK,  FB,  FB,  OK),
    # Bulk actions name their orders in the body: another organizer's codes select nothing
    # (422), and a role that may not act finds the action applies to none of them (422).
    api("POST",  "/api/v1/orders/bulk/preview",         200, L,     UN,     OK,  OK,  OK,  OK,  OK),
    api("POST",  "/api/v1/orders/bulk",                 202, L,     UN,     OK,  OK,  OK,  UN,  OK),
    api("PATCH", "/api/v1/orders/{code}",               200, L,     NF,     OK,  OK,  OK,  FB,  OK),
    api("GET",   "/api/v1/orders/{code}/history",       200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("PATCH", "/api/v1/orders/{code}/tickets/{ticket_id}",
                                                        200, L,     NF,     OK,  OK,  OK,  FB,  OK),
    api("POST",  "/api/v1/orders/{code}/cancel",        200, L,     NF,     OK,  OK,  FB,  FB,  OK),
    api("POST",  "/api/v1/orders/{code}/refund",        200, L,     NF,     OK,  OK,  FB,  FB,  OK,
        order=CANCELLED),
    api("POST",  "/api/v1/orders/{code}/cancel-and-refund",
                                                        200, L,     NF,     OK,  OK,  FB,  FB,  OK),
    api("POST",  "/api/v1/orders/{code}/mark-refunded", 200, L,     NF,     OK,  OK,  FB,  FB,  OK,
        order=CANCELLED),
    api("POST",  "/api/v1/orders/{code}/mark-paid",     200, L,     NF,     OK,  OK,  FB,  FB,  OK,
        order=INVOICING),
    api("POST",  "/api/v1/orders/{code}/resend-tickets", 200, L,    NF,     OK,  OK,  OK,  FB,  OK),
    api("GET",   "/api/v1/orders/{code}/tickets.pdf",   200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("GET",   "/api/v1/orders/{code}/receipt.pdf",   200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("POST",  "/api/v1/orders/{code}/attention/{item_id}/dismiss",
                                                        200, L,     NF,     OK,  OK,  FB,  FB,  OK),
    api("GET",   "/api/v1/orders/{code}/comments",      200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("POST",  "/api/v1/orders/{code}/comments",      201, L,     NF,     OK,  OK,  OK,  FB,  OK),
    api("POST",  "/api/v1/checkin",                     200, L,     NF,     OK,  OK,  OK,  FB,  OK),
    api("GET",   "/api/v1/webhooks",                    200, L,     OWN,    OK,  OK,  OK,  OK,  OK),
    # B's token registers B's own webhook; a platform token has no organizer to give it (422).
    api("POST",  "/api/v1/webhooks",                    201, L,     OWN,    OK,  OK,  FB,  FB,
        UNPROCESSABLE),
    api("GET",   "/api/v1/webhooks/{webhook_id}",       200, L,     NF,     OK,  OK,  OK,  OK,  OK),
    api("DELETE", "/api/v1/webhooks/{webhook_id}",      200, L,     NF,     OK,  OK,  FB,  FB,  OK),
    api("GET",   "/api/v1/webhooks/{webhook_id}/deliveries",
                                                        200, L,     NF,     OK,  OK,  OK,  OK,  OK),
]
# fmt: on

# Form data of the POST rows (by URL name). "{name}" is filled in from the test's data
# (world.py PLACEHOLDERS): a whole-string placeholder keeps the value's type.
POST_DATA: dict[str, dict[str, Any]] = {
    "login": {"username": "{owner_email}", "password": "not the password"},
    "password_change": {
        "old_password": "not the password",
        "new_password1": "a brand new passphrase 1",
        "new_password2": "a brand new passphrase 1",
    },
    "set_language": {"language": "fi", "next": "/"},
    "backoffice:api_tokens": {"organizer": "{organizer_id}", "name": "Matrix", "role": "viewer"},
    "backoffice:paytrail_account": {"organizer": "{organizer_id}"},
    "backoffice:saved_filter_save": {"name": "Matrix", "query": "status=paid"},
    "backoffice:event_cancel": {"confirm": "{event_name}", "refund": "on"},
    "backoffice:order_bulk": {"action": "resend", "scope": "codes", "code": "{code}", "key": "m"},
    "backoffice:saved_filter_delete": {"name": "Matrix"},
    "backoffice:message_new": {"subject_en": "Matrix", "body_en": "Matrix", "action": "send"},
    "backoffice:checkin_event": {"code": "{ticket_secret}"},
    "backoffice:order_cancel": {"reason": "matrix", "money": "refund"},
    "backoffice:checkin_device_create": {"name": "Door 9"},
    "backoffice:platform_refund_complete": {"reference": "MATRIX-1"},
    "customer:links": {"email": "nobody@example.com"},
    "customer:pay": {"method": "paytrail"},
    "customer:participant": {"name": "Intruder", "email": "intruder@example.com"},
    "customer:return": {"reason": "intruder"},
    "paytrail_sandbox:payments": {"amount": 100},
    "paytrail_sandbox:refund": {"amount": 100},
    "paytrail_sandbox:refund_email": {"amount": 100},
    "paytrail_sandbox:pay": {"provider": "nordea", "action": "ok"},
    "paytrail_sandbox:control": {"form": "reset"},
}
# Query strings of GET rows (by URL name): a Paytrail message with a forged signature.
FORGED_PAYTRAIL = {
    "checkout-account": "375917",
    "checkout-algorithm": "sha256",
    "checkout-amount": "10300",
    "checkout-stamp": "forged",
    "checkout-reference": "forged",
    "checkout-transaction-id": "forged",
    "checkout-status": "ok",
    "checkout-provider": "nordea",
    "signature": "0" * 64,
}
QUERY: dict[str, dict[str, Any]] = {
    # "All matching" the list's filters: another organizer's event is not a filter one has.
    "backoffice:order_bulk": {"action": "resend", "scope": "filter", "event": "{event_id}"},
    "backoffice:message_new": {"event": "{event_id}"},
    "payments:paytrail_refund_callback": FORGED_PAYTRAIL,
    "payments:paytrail_payment_callback": FORGED_PAYTRAIL,
    "payments:paytrail_return": FORGED_PAYTRAIL,
}
# JSON bodies of the API's writes (by (method, path)).
API_BODY: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/events/{event_id}/orders"): {
        "lines": [{"product_id": "{product_id}", "quantity": 1}],
        "customer": {"email": "matrix.buyer@example.com"},
        "payment_method": "paytrail",
    },
    ("PATCH", "/api/v1/orders/{code}"): {"name": "Mallory"},
    ("POST", "/api/v1/events/{event_id}/cancel"): {"confirm": "{event_name}"},
    ("POST", "/api/v1/orders/bulk/preview"): {"action": "resend", "codes": ["{code}"]},
    ("POST", "/api/v1/orders/bulk"): {"action": "resend", "codes": ["{code}"]},
    ("PATCH", "/api/v1/orders/{code}/tickets/{ticket_id}"): {"name": "Mallory"},
    ("POST", "/api/v1/orders/{code}/cancel"): {"reason": "matrix"},
    ("POST", "/api/v1/orders/{code}/mark-refunded"): {"reference": "MATRIX"},
    ("POST", "/api/v1/orders/{code}/mark-paid"): {"reference": "MATRIX"},
    ("POST", "/api/v1/orders/{code}/resend-tickets"): {"to": "mallory@example.com"},
    ("POST", "/api/v1/orders/{code}/attention/{item_id}/dismiss"): {"note": "matrix"},
    ("POST", "/api/v1/orders/{code}/comments"): {"text": "matrix"},
    ("POST", "/api/v1/checkin"): {"event_id": "{event_id}", "secret": "{ticket_secret}"},
    ("POST", "/api/v1/webhooks"): {"url": "https://hooks.example.com/matrix"},
}


def url_rows() -> list[Row]:
    return [row for row in TABLE if row.kind == "url"]


def api_rows() -> list[Row]:
    return [row for row in TABLE if row.kind == "api"]


def counts() -> dict[str, int]:
    return {
        "url_patterns": len({row.name for row in url_rows()}),
        "url_rows": len(url_rows()),
        "api_operations": len(api_rows()),
        "principals": len(PRINCIPALS),
        "assertions": len(TABLE) * len(PRINCIPALS),
    }


def summary() -> str:
    c = counts()
    return (
        f"{c['url_patterns']} URL patterns ({c['url_rows']} URL rows), "
        f"{c['api_operations']} API operations, {c['principals']} principals, "
        f"{c['assertions']} assertions"
    )


if __name__ == "__main__":
    print(summary())
