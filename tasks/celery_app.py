"""The Celery app, configured from ``celeryconfig.py``; imports every service's task module and
connects the operations hooks (``tasks.signals``: JSON logs, correlation ids, step metrics)
in every process that uses it, worker or web."""
from celery import Celery

from tasks import signals

app = Celery("emarket")
app.config_from_object("celeryconfig")
app.conf.include = ["tasks.compensation", "tasks.payment_clock", "tasks.redrive", "tasks.order", "tasks.stock",
                    "tasks.wallet", "tasks.accounts", "tasks.topup", "tasks.housekeeping", "tasks.audit"]
signals.connect()

# The only tasks that store their result (celeryconfig: task_ignore_result): someone waits for
# it — the web (payment, cancel, the console's resume), auth (the profile), health checks (ping).
REQUEST_REPLY = frozenset({"order.start_payment", "order.cancel_by_user", "saga.resume", "account.create_profile",
                           "saga.ping"})
