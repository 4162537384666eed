"""The Celery app, configured from ``celeryconfig.py``; imports every service's task module."""
from celery import Celery

app = Celery("emarket")
app.config_from_object("celeryconfig")
app.conf.include = ["tasks.saga", "tasks.order", "tasks.stock", "tasks.wallet", "tasks.accounts", "tasks.topup",
                    "tasks.housekeeping"]

from tasks import signals  # noqa: E402,F401 — JSON logs, correlation ids, step metrics
