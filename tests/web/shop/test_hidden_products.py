"""Product names are trimmed (only whitespace is 400 validation_error), and an admin hides a
product from the catalogue and shows it again, without breaking the orders that hold it."""
from __future__ import annotations

from tests.support.shop_pages import ADMIN, CSRF, NEW_PRODUCT, create_product, log_in
from tests.web.shop.conftest import assert_error


def test_a_name_is_trimmed_and_a_blank_one_refused(client, admin_headers):
    assert create_product(client, admin_headers, name="  Kettle \t")["name"] == "Kettle"
    for blank in ("   ", "\t\n", ""):
        body = assert_error(client.post("/api/products", json={**NEW_PRODUCT, "name": blank}, headers=admin_headers),
                            400, "validation_error")
        assert body["error"]["message"] == "name: must not be empty or only spaces"
    kettle = create_product(client, admin_headers)
    refused = client.patch(f"/api/products/{kettle['id']}", json={"name": "   "}, headers=admin_headers)
    assert_error(refused, 400, "validation_error")


def test_a_hidden_product_leaves_the_catalogue_and_comes_back(client, admin_headers):
    kettle = create_product(client, admin_headers, name="Hidden kettle")
    hidden = client.patch(f"/api/products/{kettle['id']}", json={"hidden": True}, headers=admin_headers)
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    assert kettle["id"] not in [p["id"] for p in client.get("/api/products").get_json()["products"]]
    assert client.get(f"/api/products/{kettle['id']}").status_code == 404
    admin_list = client.get("/api/products", headers=admin_headers).get_json()["products"]
    assert [p["hidden"] for p in admin_list if p["id"] == kettle["id"]] == [True]
    assert "Hidden kettle" not in client.get("/").get_data(as_text=True)
    page = client.get(f"/products/{kettle['id']}").get_data(as_text=True)  # orders link here
    assert "No longer sold" in page and 'class="checkout"' not in page and "add-to-cart" not in page
    shown = client.patch(f"/api/products/{kettle['id']}", json={"hidden": False}, headers=admin_headers)
    assert shown.get_json()["hidden"] is False and "Hidden kettle" in client.get("/").get_data(as_text=True)


def test_an_order_holding_a_hidden_product_still_shows_it(client, admin_headers, order, product):
    client.patch(f"/api/products/{product.id}", json={"hidden": True}, headers=admin_headers)
    log_in(client)
    page = client.get(f"/orders/{order}").get_data(as_text=True)
    assert "Tea &lt;b&gt;bold&lt;/b&gt;" in page and 'id="pay"' in page
    refused = client.post("/cart/add", data={"product_id": str(product.id), "quantity": "1", "csrf_token": CSRF,
                                             "next": "/"})
    assert refused.status_code == 303 and "Your cart is empty" in client.get("/cart").get_data(as_text=True)


def test_the_admin_page_lists_hidden_products_with_a_button_to_show_them(client, admin_headers):
    kettle = create_product(client, admin_headers, name="Shelved kettle")
    client.patch(f"/api/products/{kettle['id']}", json={"hidden": True}, headers=admin_headers)
    log_in(client, ADMIN, ["admin"])
    page = client.get(f"/admin/products?created={kettle['id']}").get_data(as_text=True)
    assert "Shelved kettle" in page and "Show in the catalogue" in page and "No: hidden" in page
    assert "Created “Shelved kettle”" in page
