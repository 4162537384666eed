"""The broker layout celeryconfig.py declares: on RabbitMQ topic exchanges and quorum queues
(countdowns wait in the broker); on Redis no payment countdown and a 5 s sweep instead."""
import importlib

import pytest

import celeryconfig
from emarket import broker
from tests.support.env import overridden_env

RABBIT = "amqp://guest:guest@127.0.0.1:5672/whatever"


def config(env: dict):
    with overridden_env(env):
        return importlib.reload(celeryconfig)


@pytest.fixture(autouse=True)
def _restore():
    yield
    importlib.reload(celeryconfig)  # the suite's own settings again


def test_on_rabbitmq_every_queue_is_quorum_behind_a_topic_exchange():
    cfg = config({"EMARKET_BROKER_URL": RABBIT})
    assert cfg.emarket_clock_in_broker is True
    assert {q.exchange.type for q in cfg.task_queues} == {"topic"}
    assert {q.name for q in cfg.task_queues if q.queue_arguments == {"x-queue-type": "quorum"}} == set(broker.QUEUES)
    assert cfg.beat_schedule["cancel-overdue-orders"]["schedule"] == 30.0


def test_the_step_queues_may_stay_classic():
    cfg = config({"EMARKET_BROKER_URL": RABBIT, "EMARKET_QUORUM_QUEUES": "saga"})
    kinds = {q.name: (q.queue_arguments or {}).get("x-queue-type", "classic") for q in cfg.task_queues}
    assert kinds == {**dict.fromkeys(broker.QUEUES, "classic"), "saga": "quorum"}


@pytest.mark.parametrize("setting", ["", "saga,nope"])
def test_a_layout_without_a_quorum_queue_or_with_an_unknown_one_is_refused(setting):
    with pytest.raises(ValueError):
        broker.quorum_names(setting)


def test_on_redis_the_sweep_is_the_clock():
    cfg = config({"EMARKET_BROKER_URL": "redis://127.0.0.1:6389/0"})
    assert cfg.emarket_clock_in_broker is False
    assert cfg.beat_schedule["cancel-overdue-orders"]["schedule"] == 5.0
