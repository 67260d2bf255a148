"""Unknown addresses get a helpful page in the site's layout, not Django's bare one."""


def test_not_found_page_uses_the_layout(client, owner):
    client.force_login(owner)
    response = client.get("/backoffice/orders/NOPE99/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert 'href="/backoffice/orders/"' in html


def test_a_customers_broken_link_leads_to_their_orders_not_to_the_back_office(client, order_in):
    order = order_in("paid")

    for path in (
        f"/o/{order.code}/not-the-secret/",
        f"/o/{order.code}/{order.secret[:-1]}/",
        "/o/NOPE99/whatever/",
    ):
        response = client.get(path)

        assert response.status_code == 404
        html = response.content.decode()
        assert "We could not find this order" in html
        assert 'href="/o/"' in html  # Find your orders
        assert "/backoffice/" not in html
        assert "/accounts/login/" not in html
        assert 'href="/"' not in html  # the brand is not a way into the back office


def test_the_customer_pages_never_link_to_the_back_office(client, order_in):
    order = order_in("paid")

    html = client.get(f"/o/{order.code}/{order.secret}/").content.decode()

    assert "/backoffice/" not in html
    assert 'href="/"' not in html
