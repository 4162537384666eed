"""The Celery app, configured from ``celeryconfig.py``; imports every service's task module."""
from celery import Celery

app = Celery("emarket")
app.config_from_object("celeryconfig")
app.conf.include = ["tasks.saga", "tasks.order", "tasks.stock", "tasks.wallet", "tasks.accounts", "tasks.topup",
                    "tasks.housekeeping", "tasks.audit"]

# The only tasks that store their result (celeryconfig: task_ignore_result): someone waits for
# it — the web (payment, cancel, the console's resume), auth (the profile), health checks (ping).
REQUEST_REPLY = frozenset({"order.start_payment", "order.cancel_by_user", "saga.resume", "account.create_profile",
                           "saga.ping"})

from tasks import signals  # noqa: E402,F401 — JSON logs, correlation ids, step metrics
