from boxoffice.orders.services import order_cancel, order_mark_paid, order_update_customer


def test_render(client, owner, place, product, actor):
    order = place(product)
    order_mark_paid(order=order, actor=actor)
    order_update_customer(order=order, actor=actor, email="x@example.com", name="X", phone="1", language="en")
    client.force_login(owner)
    r = client.get("/backoffice/orders/")
    assert r.status_code == 200, r.content
    assert order.code in r.content.decode()
    r = client.get(f"/backoffice/orders/{order.code}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "x@example.com" in html
    r = client.get(f"/backoffice/orders/{order.code}/cancel/")
    assert r.status_code == 200
    r = client.post(f"/backoffice/orders/{order.code}/cancel/", {"reason": "asked"})
    assert r.status_code == 302
    r = client.get(f"/backoffice/orders/{order.code}/mark-refunded/")
    assert r.status_code == 200
    r = client.post(f"/backoffice/orders/{order.code}/mark-refunded/", {"reference": "TR-1"})
    assert r.status_code == 302
    t = order.tickets.first()
    r = client.get(f"/backoffice/orders/{order.code}/tickets/{t.pk}/")
    assert r.status_code == 200
    r = client.get(f"/backoffice/orders/{order.code}/")
    open("/tmp/detail.html","w").write(r.content.decode())
    r = client.get(f"/o/{order.code}/{order.secret}/")
    assert r.status_code == 200
