"""Celery's configuration, from emarket's settings (environment variables).

One queue per service, routes by task name (``order.register`` → queue ``order``), JSON only,
late acks with reject-on-worker-lost so a step killed mid-way is redelivered, prefetch 1 so a
slow step does not hold messages another worker could run, publisher confirms on RabbitMQ.
"""
from kombu import Exchange, Queue

from emarket.config import settings

_settings = settings()

QUEUES = ("account", "order", "product", "money", "money_add", "saga")

broker_url = _settings.broker_url
result_backend = _settings.result_backend
broker_connection_retry_on_startup = True

task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]
result_accept_content = ["json"]

task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
task_publish_retry = True
task_publish_retry_policy = {"max_retries": 10, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 3}
worker_hijack_root_logger = False
worker_send_task_events = True
task_send_sent_event = True
result_expires = 3600
# A stored result (a failed step's, a request-reply's) also keeps the task's worker and retries:
# the compensation credits a failed step's saga event with them (the operators' console).
# Steps that succeed store nothing (ignore_result), so this costs the happy path nothing.
result_extended = True

task_queues = [Queue(name, Exchange(name, type="direct"), routing_key=name, durable=True) for name in QUEUES]
task_default_queue = "saga"
task_default_exchange = "saga"
task_default_routing_key = "saga"
task_routes = {f"{name}.*": {"queue": name, "exchange": name, "routing_key": name} for name in QUEUES}

if broker_url.startswith(("amqp", "pyamqp")):
    # RabbitMQ confirms each publish: a step's next message is on disk before its ack.
    broker_transport_options = {"confirm_publish": True}
else:
    # Redis redelivers an unacked message after the visibility timeout; it must outlast the
    # longest countdown (the payment clock), or a waiting timeout task would run twice early.
    broker_transport_options = {"visibility_timeout": max(3600, 2 * _settings.payment_timeout)}
    result_backend_transport_options = {"retry_policy": {"timeout": 5.0}}

beat_schedule = {
    "cancel-overdue-orders": {"task": "saga.cancel_overdue", "schedule": _settings.beat_interval},
    "resume-stuck-sagas": {"task": "saga.resume_stuck", "schedule": _settings.beat_interval},
    "resume-stuck-topups": {"task": "money_add.sweep", "schedule": _settings.beat_interval},
    "forget-idempotency-keys": {"task": "saga.forget_idempotency_keys", "schedule": 3600.0},
}
