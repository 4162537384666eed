"""The operators' saga console: admins only; counts by status; the stuck sagas by the rule of
``emarket saga stuck``; a search by order id; a saga's timeline with each step's task (linked
to Flower), worker, attempt and a failed step's error. Resuming needs the real workers: it is
in tests/e2e/test_operator_console.py."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from db.emarket import Order
from emarket.storage import unit_of_work
from tests.support.shop_pages import ADMIN, CSRF, log_in, saga_order


@pytest.fixture
def settings_overrides() -> dict:
    return {"flower_public_url": "http://flower.example:5555/"}


@pytest.fixture
def stuck_and_fresh(dbs):
    stuck = saga_order("processing", timedelta(hours=1), [
        ("accepted", "", {}),
        ("registered", "", {"task_id": "t-register", "worker": "celery@order-1", "attempt": 1}),
        ("stock_check_failed", "failed", {"task_id": "t-check", "worker": "celery@product-2", "attempt": 9,
                                          "error": "OperationalError: the database is away"}),
    ])
    fresh = saga_order("processing", timedelta(seconds=1))
    done = saga_order("completed", timedelta(hours=2))
    return stuck, fresh, done


def test_the_console_is_for_admins_only(client, stuck_and_fresh):
    assert client.get("/admin/sagas").status_code == 302
    log_in(client)
    for path in ("/admin/sagas", "/admin/sagas/live", f"/admin/sagas/{stuck_and_fresh[0]}"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/admin/sagas/{stuck_and_fresh[0]}/resume", data={"csrf_token": CSRF}).status_code == 403


def test_counts_and_the_stuck_sagas_by_the_sweeps_rule(client, stuck_and_fresh):
    stuck, fresh, done = stuck_and_fresh
    log_in(client, ADMIN, ["admin"])
    page = client.get("/admin/sagas").get_data(as_text=True)
    assert re.search(r'data-status="processing">\s*<a [^>]*href="/admin/sagas\?status=processing"[^>]*>'
                     r'<span class="count-figure">2</span> <span>Checking stock</span>', page)
    assert re.search(r'data-status="completed">\s*<a [^>]*><span class="count-figure">1</span> <span>Paid</span>', page)
    stuck_part, latest = page.split("Latest sagas")
    assert f'data-order-id="{stuck}"' in stuck_part and f"/admin/sagas/{stuck}/resume" in stuck_part
    assert fresh not in stuck_part and done not in stuck_part
    assert latest.index(fresh) < latest.index(stuck) < latest.index(done)  # the last moved first
    assert f'data-order-id="{stuck}"' in client.get("/admin/sagas/live").get_data(as_text=True)


def test_the_search_finds_a_saga_by_its_id(client, stuck_and_fresh):
    stuck = stuck_and_fresh[0]
    log_in(client, ADMIN, ["admin"])
    found = client.get(f"/admin/sagas?order=+{stuck.upper()}+")
    assert found.status_code == 303 and found.headers["Location"] == f"/admin/sagas/{stuck}"
    bad = client.get("/admin/sagas?order=12345")
    assert bad.status_code == 400 and 'aria-describedby="saga-search-error"' in bad.get_data(as_text=True)
    assert client.get(f"/admin/sagas/{uuid.uuid4()}").status_code == 404


def test_a_sagas_timeline_names_each_steps_task_worker_attempt_and_error(client, stuck_and_fresh):
    stuck = stuck_and_fresh[0]
    log_in(client, ADMIN, ["admin"])
    page = client.get(f"/admin/sagas/{stuck}").get_data(as_text=True)
    assert page.index('data-event="accepted"') < page.index('data-event="registered"') < page.index(
        'data-event="stock_check_failed"')
    assert 'href="http://flower.example:5555/task/t-register"' in page and "celery@order-1" in page
    assert 'href="http://flower.example:5555/task/t-check"' in page and "celery@product-2" in page
    assert '<dd class="warn">9</dd>' in page and "OperationalError: the database is away" in page
    assert "+0.080 s" in page and "2 × Console tea" in page
    assert f"/admin/sagas/{stuck}/resume" in page  # stuck: the Resume button is there too
    assert 'class="step service-product failed"' in page


def test_resume_refuses_a_form_without_its_csrf_token(client, stuck_and_fresh):
    log_in(client, ADMIN, ["admin"])
    # Without it the token cookie does not make a logged-in visitor: off to the log-in page.
    refused = client.post(f"/admin/sagas/{stuck_and_fresh[0]}/resume", data={})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert client.post(f"/admin/sagas/{stuck_and_fresh[0]}/resume", data={"csrf_token": "x"}).status_code == 302


def test_the_search_finds_an_order_by_the_number_shoppers_see(client, stuck_and_fresh):
    stuck = stuck_and_fresh[0]
    log_in(client, ADMIN, ["admin"])
    for typed in (stuck[:8], stuck[:8].upper(), stuck[:13]):
        found = client.get(f"/admin/sagas?order={typed}")
        assert found.status_code == 303 and found.headers["Location"] == f"/admin/sagas/{stuck}", typed
    unknown = client.get("/admin/sagas?order=00000000")
    page = unknown.get_data(as_text=True)
    assert unknown.status_code == 404 and 'id="unknown-order"' in page and "first 8 characters" in page
    assert "Back to the catalogue" not in page and 'href="/admin/sagas"' in page
    assert 'id="unknown-order"' in client.get(f"/admin/sagas/{uuid.uuid4()}").get_data(as_text=True)


def test_the_console_speaks_in_emails_words_and_filters_by_a_tile(client, stuck_and_fresh):
    stuck, fresh, done = stuck_and_fresh
    log_in(client, ADMIN, ["admin"])
    with unit_of_work("emarket") as uow:
        uow.session.execute(update(Order).where(Order.id == done).values(status="cancelled",
                                                                         reason="cancelled_by_user"))
    page = client.get("/admin/sagas").get_data(as_text=True)
    assert "Cancelled — by the shopper" in page and "cancelled_by_user</span>" not in page
    only = client.get("/admin/sagas?status=cancelled").get_data(as_text=True).split("Latest sagas")[1]
    assert done in only and fresh not in only and stuck not in only
    assert 'href="/admin/sagas"' in only  # "show all"


def test_the_last_audit_of_the_books_is_on_the_console(client, stuck_and_fresh):
    from emarket import audit, audit_report

    log_in(client, ADMIN, ["admin"])
    finding = audit.Finding("wallet_off_ledger", "wallet of user 9", "balance 7, its ledger sums to 0", "by hand")
    audit_report.save([finding], repaired=2)
    page = client.get("/admin/sagas").get_data(as_text=True)
    assert 'id="audit-summary" data-findings="1">1 findings at <time' in page
    assert "2 compensation(s) sent again" in page
    assert "<code>wallet_off_ledger wallet of user 9: balance 7, its ledger sums to 0; repair: by hand</code>" in page
    audit_report.save([], repaired=0)
    live = client.get("/admin/sagas/live").get_data(as_text=True)
    assert 'data-findings="0">0 findings at' in live and "wallet_off_ledger" not in live
