"""The failover list: each worker starts from another node, and the consumer's delayed-delivery
step reads the list in its own order (Celery's makes a set of it)."""
from __future__ import annotations

from tasks.worker_consumer import Consumer, broker_urls
from tests.chaos.stack import starting_from

URLS = "amqp://a:1/v;amqp://b:2/v;amqp://c:3/v"


def test_each_worker_starts_from_another_node():
    assert starting_from(URLS, 0) == URLS
    assert starting_from(URLS, 1) == "amqp://b:2/v;amqp://c:3/v;amqp://a:1/v"
    assert starting_from(URLS, 5) == "amqp://c:3/v;amqp://a:1/v;amqp://b:2/v"
    assert starting_from("amqp://only/v", 4) == "amqp://only/v"


def test_the_list_keeps_its_order():
    assert broker_urls(URLS) == ["amqp://a:1/v", "amqp://b:2/v", "amqp://c:3/v"]
    assert broker_urls(" amqp://a:1/v ; ;amqp://b:2/v") == ["amqp://a:1/v", "amqp://b:2/v"]


def test_the_consumer_sets_delayed_delivery_up_once_per_cluster():
    steps = Consumer.Blueprint.default_steps
    assert "tasks.worker_consumer:ClusterDelayedDelivery" in steps
    assert "celery.worker.consumer.delayed_delivery:DelayedDelivery" not in steps
