"""What the task declarations promise: results stored only for the tasks someone waits on, and
each task's subject (order, top-up, correlation id) found where its signature declares it."""
from __future__ import annotations

import pytest

from tasks.celery_app import REQUEST_REPLY
from tasks.subject import Subject, subject_of


@pytest.fixture(scope="module")
def tasks():
    from tasks import app

    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_only_request_reply_tasks_store_their_result(tasks):
    assert {name for name, task in tasks.items() if not task.ignore_result} == REQUEST_REPLY


CTX = {"order_id": "o-1", "user_id": 7, "cid": "c-1"}


@pytest.mark.parametrize("name, args, expected", [
    ("order.register", [CTX], Subject(order_id="o-1", cid="c-1")),
    ("product.check", [CTX], Subject(order_id="o-1", cid="c-1")),
    ("money.charge", [CTX], Subject(order_id="o-1", cid="c-1")),
    ("order.start_payment", [CTX], Subject(order_id="o-1", cid="c-1")),
    ("order.cancel", [CTX, "failed"], Subject(order_id="o-1", cid="c-1")),
    ("saga.compensate", [{"reason": "failed"}, CTX, None, 1], Subject(order_id="o-1", cid="c-1")),
    ("saga.compensate", ["a-failed-task-id", CTX, None, 1], Subject(order_id="o-1", cid="c-1")),
    ("saga.payment_timeout", ["o-2"], Subject(order_id="o-2")),
    ("order.cancel_by_user", ["o-2", 7], Subject(order_id="o-2")),
    ("saga.resume", ["o-2"], Subject(order_id="o-2")),
    ("money_add.start", ["t-1"], Subject(topup_id="t-1")),
    ("money_add.poll", ["t-1"], Subject(topup_id="t-1")),
    ("account.create_profile", [5, "a@example.com"], Subject()),
    ("saga.cancel_overdue", [], Subject()),
])
def test_the_subject_of_a_run_is_read_where_the_task_declares_it(tasks, name, args, expected):
    assert subject_of(tasks[name], args, {}) == expected
