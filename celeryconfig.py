"""Celery's configuration, from emarket's settings (environment variables).

One queue per service behind a topic exchange of its name (emarket/broker.py), routes by task
name (``order.register`` → queue ``order``), JSON only, late acks with reject-on-worker-lost
so a step killed mid-way is redelivered, prefetch 1 so a slow step does not hold messages
another worker could run, publisher confirms on RabbitMQ. On RabbitMQ every countdown (the
payment clock, step retries, top-up polls) waits in the broker (native delayed delivery, on
because some queues are quorum queues); Redis has no such delay, so the embedded run keeps no
payment countdown at all and sweeps overdue orders every few seconds instead (docs/payment-clock.md).
"""
from emarket import broker
from emarket.config import settings

_settings = settings()

QUEUES = broker.QUEUES
ON_RABBITMQ = broker.is_rabbitmq(_settings.broker_url)
# Without a broker-side delay (Redis) the beat sweep is the payment clock: this often.
SWEEP_WITHOUT_BROKER_DELAY = 5.0

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
# Task events (a message to the celeryev exchange per task state) cost more than a saga
# step's SQL: bench/peer_dbos.py ran 58 checkouts/s without them against 33-39 with them.
# Off by default, as Celery ships them; Flower turns the workers' events on while it runs
# (its --enable_events, the default), and EMARKET_TASK_EVENTS=1 sends them from the start.
worker_send_task_events = _settings.task_events
task_send_sent_event = _settings.task_events
result_expires = 3600
# Only the request-reply tasks store a result (the web waits for it): each opts in with
# ignore_result=False (tasks.celery_app.REQUEST_REPLY lists them). A failed step's worker, attempt and
# error reach the compensation in its message (tasks.compensation.step_failed), not here.
task_ignore_result = True

task_queues = broker.task_queues(broker.quorum_names(_settings.quorum_queues))
broker_native_delayed_delivery_queue_type = broker.DELAY_QUEUE_TYPE
# Read by tasks.payment_clock: publish the payment countdown only where it waits in the broker.
emarket_clock_in_broker = ON_RABBITMQ
task_default_queue = "saga"
task_default_exchange = "saga"
task_default_routing_key = "saga"
task_routes = {f"{name}.*": {"queue": name, "exchange": name, "routing_key": name} for name in QUEUES}

if ON_RABBITMQ:
    # RabbitMQ confirms each publish: a step's next message is on disk before its ack. A node
    # that stops answering (frozen, cut off) must not hold a process for ever: every blocking
    # read (the confirm's) and write gives up after the I/O timeout (amqp's read_timeout and
    # write_timeout, SO_RCVTIMEO/SO_SNDTIMEO), the connection is dropped and kombu publishes
    # again through the next URL of the list (task_publish_retry). A worker's own connection
    # notices such a node by its heartbeat. Figures and reasons: docs/cluster.md.
    broker_transport_options = {"confirm_publish": True, "read_timeout": _settings.broker_io_timeout,
                                "write_timeout": _settings.broker_io_timeout}
    broker_heartbeat = _settings.broker_heartbeat
    broker_heartbeat_checkrate = 2.0
    # A frozen node still accepts TCP (its kernel does) but never answers the AMQP handshake:
    # every new connection that tries it first waits this long before the next URL.
    broker_connection_timeout = min(2.0, _settings.broker_io_timeout)
    # Delayed delivery set up once per cluster, not retried with sleeps on a dead node; no
    # Mingle or Gossip (tasks/worker_consumer.py).
    worker_consumer = "tasks.worker_consumer:Consumer"
else:
    # Redis redelivers an unacked message after the visibility timeout; it must outlast the
    # longest countdown a worker holds (a step's retry, a top-up poll: 30 s at most).
    broker_transport_options = {"visibility_timeout": 3600}
    result_backend_transport_options = {"retry_policy": {"timeout": 5.0}}

beat_schedule = {
    "cancel-overdue-orders": {"task": "saga.cancel_overdue", "schedule": _settings.beat_interval
                              if ON_RABBITMQ else min(_settings.beat_interval, SWEEP_WITHOUT_BROKER_DELAY)},
    "resume-stuck-sagas": {"task": "saga.resume_stuck", "schedule": _settings.beat_interval},
    "resume-stuck-topups": {"task": "money_add.sweep", "schedule": _settings.beat_interval},
    "forget-idempotency-keys": {"task": "saga.forget_idempotency_keys", "schedule": 3600.0},
    "audit-the-books": {"task": "saga.audit", "schedule": _settings.audit_interval},
}
