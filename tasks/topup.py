"""MmoneyAdd (queue ``money_add``): the top-up's conversation with the bank.

``start`` asks for the hold (Idempotency-Key = the top-up id, so a redelivered or retried
start finds the same hold), ``poll`` watches it with growing waits until the holder confirmed
or it lapsed, ``credit`` credits the wallet once, and ``sweep`` (beat, every 30 s) resumes
whatever a lost message or a crash left behind: it credits top-ups stuck in ``captured``,
restarts ``initiated`` ones, re-checks ``pending_confirmation`` ones and releases their hold
when it is overdue. Every task is idempotent (state moves are compare-and-sets in
``emarket.topup``), runs with late acks, and retries transient bank or database failures by
the saga steps' own policy (``tasks.step.RetryingTask``).
"""
from __future__ import annotations

import logging
import random

from emarket import topup
from emarket.bank_client import BankClient
from emarket.config import settings
from emarket.errors import InsufficientFunds, NotFound
from emarket.storage import unit_of_work
from tasks import faults, metrics
from tasks.celery_app import app
from tasks.countdown import whole_seconds
from tasks.step import RetryingTask

log = logging.getLogger(__name__)

MAX_POLLS = 1000  # far beyond a hold's lifetime; after that the sweep job takes over


def poll_delay(polls: int) -> int:
    """Wait before the next look at a hold: doubling from the poll interval, capped, jittered
    (50–100 %) so many top-ups started together do not poll the bank in step; whole seconds,
    at least one (tasks.countdown)."""
    s = settings()
    base = min(s.topup_poll_max, s.topup_poll_interval * (2 ** min(polls, 16)))
    return whole_seconds(base * random.uniform(0.5, 1.0))


@app.task(base=RetryingTask, name="money_add.start")
def start(topup_id: str) -> None:
    with unit_of_work("account") as uow:
        row = topup.get_topup(uow, topup_id)
    if row.status != topup.INITIATED:
        if row.status in (topup.PENDING, topup.CAPTURED):  # a redelivery: make sure it goes on
            poll.apply_async((topup_id,), countdown=poll_delay(0))
        return
    try:
        hold = BankClient().create_hold(row.bank_account, row.amount, topup.bank_reference(row), topup_id)
    except (NotFound, InsufficientFunds) as refusal:
        with unit_of_work("account") as uow:
            moved = topup.bank_refused(uow, topup_id, refusal.reason)
        if moved:
            metrics.topup_moved(topup.FAILED)
        return
    with unit_of_work("account") as uow:
        moved = topup.hold_placed(uow, topup_id, hold["id"], hold["confirm_url"])
    if moved:
        metrics.topup_moved(topup.PENDING)
    poll.apply_async((topup_id,), countdown=poll_delay(0))


@app.task(base=RetryingTask, name="money_add.poll", bind=True, max_retries=MAX_POLLS, transient_retries=MAX_POLLS)
def poll(self: RetryingTask, topup_id: str) -> None:
    with unit_of_work("account") as uow:
        row = topup.get_topup(uow, topup_id)
    if row.status == topup.PENDING:
        assert row.hold_id is not None  # pending means its hold was placed (topup.hold_placed)
        bank_status = BankClient().get_hold(row.hold_id)["status"]
        with unit_of_work("account") as uow:
            status = topup.apply_bank_status(uow, topup_id, bank_status)
        _count_bank_move(status)
        if status == topup.PENDING:
            raise self.retry(countdown=poll_delay(self.request.retries + 1))
        row.status = status
    if row.status == topup.CAPTURED:
        faults.after_commit("money_add.poll")  # crash tests: captured, not yet credited
        credit.delay(topup_id)


@app.task(base=RetryingTask, name="money_add.credit")
def credit(topup_id: str) -> bool:
    with unit_of_work("account") as uow:
        credited = topup.credit(uow, topup_id)
    if credited:
        metrics.topup_moved(topup.CREDITED)
    return credited


def _count_bank_move(status: str) -> None:
    """Count a pending top-up that the bank's answer moved on (captured or expired). A poll and
    the sweep racing on one hold may both see the move: rare, and at worst one extra count; a
    redelivered task reads the status first and counts nothing."""
    if status != topup.PENDING:
        metrics.topup_moved(status)


@app.task(name="money_add.sweep", acks_late=True, ignore_result=True)
def sweep() -> dict[str, int]:
    """Resume every top-up a lost message or a crash left behind. One top-up's trouble (the bank
    down) is logged and left to the next sweep; it never stops the others."""
    idle = settings().topup_sweep_after
    with unit_of_work("account") as uow:
        captured = topup.ids_in(uow, topup.CAPTURED)
        initiated = topup.ids_in(uow, topup.INITIATED, unchanged_for=idle)
        pending = topup.ids_in(uow, topup.PENDING, unchanged_for=idle)
    credited = 0
    for topup_id in captured:
        with unit_of_work("account") as uow:
            moved = topup.credit(uow, topup_id)
        if moved:
            metrics.topup_moved(topup.CREDITED)
        credited += moved
    for topup_id in initiated:
        start.delay(topup_id)
    for topup_id in pending:
        try:
            credited += _recheck(topup_id)
        except Exception:  # the next sweep tries again
            log.warning("sweep: top-up %s not resolved this time", topup_id, exc_info=True)
    return {"credited": credited, "restarted": len(initiated), "rechecked": len(pending)}


def _recheck(topup_id: str) -> bool:
    """Look at a pending top-up's hold once; release it if it should have expired by now."""
    with unit_of_work("account") as uow:
        row = topup.get_topup(uow, topup_id)
    bank = BankClient()
    assert row.hold_id is not None  # only pending top-ups are rechecked: their hold was placed
    bank_status = bank.get_hold(row.hold_id)["status"]
    if bank_status == "pending_confirmation" and topup.hold_is_overdue(row):
        bank_status = bank.release_hold(row.hold_id)
    with unit_of_work("account") as uow:
        status = topup.apply_bank_status(uow, topup_id, bank_status)
        credited = topup.credit(uow, topup_id) if status == topup.CAPTURED else False
    _count_bank_move(status)
    if credited:
        metrics.topup_moved(topup.CREDITED)
    return credited
