"""The Celery app runs a real worker on RabbitMQ consuming all six queues; results come back
from Redis."""
from __future__ import annotations

import pytest

from tests.support.workers import ALL_QUEUES


def test_worker_consumes_every_queue(celery_app, worker):
    replies = celery_app.control.inspect(destination=[worker.name], timeout=5).active_queues()
    consumed = {q["name"] for q in replies[worker.name]}
    assert consumed == set(ALL_QUEUES)


@pytest.mark.parametrize("queue", ALL_QUEUES)
def test_task_round_trip_through_each_queue(celery_app, worker, queue):
    result = celery_app.send_task("saga.ping", queue=queue, exchange=queue, routing_key=queue)
    assert result.get(timeout=20) == "pong"
    assert result.backend.__class__.__name__ == "RedisBackend"


def test_configuration_is_safe_by_default(celery_app):
    conf = celery_app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options.get("confirm_publish") is True
