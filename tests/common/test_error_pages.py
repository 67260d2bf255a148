"""Unknown addresses get a helpful page in the site's layout, not Django's bare one."""


def test_not_found_page_uses_the_layout(client, owner):
    client.force_login(owner)
    response = client.get("/backoffice/orders/NOPE99/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert 'href="/backoffice/orders/"' in html
