"""A customer paying on the bundled Paytrail sandbox over real HTTP (see conftest's ``site``)."""

import httpx

from boxoffice.orders.models import Order
from boxoffice.payments.models import Payment, PaymentState


def pay_on_hosted_page(
    site: str, order: Order, action: str = "pay", *, come_back: bool = True
) -> httpx.Response:
    """The customer presses Pay now, picks a bank on the sandbox's page and pays.

    ``come_back=False``: they close the browser on the bank's page, never returning to us.
    """
    with httpx.Client(follow_redirects=False) as browser:
        page = browser.get(f"{site}/o/{order.code}/{order.secret}/")
        token = browser.cookies["csrftoken"]
        to_paytrail = browser.post(
            f"{site}/o/{order.code}/{order.secret}/pay",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": str(page.url)},
        )
        assert to_paytrail.status_code == 302, to_paytrail.text
        hosted = to_paytrail.headers["location"]
        assert hosted.startswith(f"{site}/paytrail-sandbox/pay/")
        assert browser.get(hosted).status_code == 200
        back = browser.post(hosted, data={"provider": "osuuspankki", "action": action})
        assert back.status_code == 302
        if not come_back:
            return back
        return browser.get(back.headers["location"], follow_redirects=True)


def paytrail_tid(order: Order) -> str:
    return Payment.objects.get(order=order, state=PaymentState.CONFIRMED).provider_reference
