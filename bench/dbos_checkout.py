"""emarket's phase 2 as a DBOS Transact workflow, for bench/peer_dbos.py.

The same business code (``emarket.order``, ``emarket.stock``, ``emarket.wallet``,
``emarket.saga_events``) on the same databases; only the orchestration differs. Steps on the
``emarket`` database are DBOS transactions (DBOS checkpoints each one in the same database
transaction as its writes); the wallet, in the ``account`` database, is a DBOS step (checkpointed
in DBOS's system database after it committed). A failure compensates backwards, as the saga does.
"""
from __future__ import annotations

from dbos import DBOS, SQLAlchemyDatasource

from db.engine import get_engine
from emarket import order, saga_events, stock, wallet
from emarket.errors import DomainError
from emarket.storage import unit_of_work

READ_COMMITTED = "READ COMMITTED"  # what emarket's own transactions run at


class NotStarted(DomainError):
    pass


def define(emarket_url: str, migrate: bool = False):
    """Register the workflow over a datasource on ``emarket_url``; returns ``checkout``."""
    ds = SQLAlchemyDatasource.create(emarket_url, engine=get_engine(emarket_url), run_migrations=migrate)

    class _Tx:
        """The unit of work emarket's functions take, over the session DBOS opened."""
        dialect = "postgresql"

        @property
        def session(self):
            return ds.sql_session()

        def connection(self):
            return ds.sql_session().connection()

    tx = _Tx()

    @ds.transaction(isolation_level=READ_COMMITTED)
    def start_payment(order_id: str, user_id: int, request_id: str) -> dict:
        outcome, ctx = order.start_payment(tx, order_id, user_id, request_id)
        if outcome != "started":
            raise NotStarted(outcome, outcome)
        return ctx.model_dump(mode="json")  # the saga context as its messages carry it

    @ds.transaction(isolation_level=READ_COMMITTED)
    def reserve(ctx: dict) -> None:
        # As product.reserve does: the reservation and its event in one statement.
        stock.reserve(tx, ctx["order_id"], ctx["items"], event="stock_reserved")

    @DBOS.step()
    def charge(ctx: dict) -> None:
        with unit_of_work("account") as uow:
            wallet.charge(uow, ctx["user_id"], ctx["order_id"], ctx["total"])
        with unit_of_work("emarket") as uow:
            saga_events.record(uow, ctx["order_id"], "money_charged", str(ctx["total"]))

    @ds.transaction(isolation_level=READ_COMMITTED)
    def complete(ctx: dict) -> None:
        order.complete(tx, ctx["order_id"])
        stock.sell(tx, ctx["order_id"])

    @DBOS.step()
    def refund(ctx: dict) -> None:
        with unit_of_work("account") as uow:
            wallet.refund(uow, ctx["order_id"])

    @ds.transaction(isolation_level=READ_COMMITTED)
    def release_and_cancel(ctx: dict, reason: str) -> None:
        stock.release(tx, ctx["order_id"])
        order.claim_for_compensation(tx, ctx["order_id"], order.PHASE2_RUNNING, reason, None)
        order.cancel(tx, ctx["order_id"], reason)

    @DBOS.workflow(name="emarket_checkout")
    def checkout(order_id: str, user_id: int) -> str:
        ctx = start_payment(order_id, user_id, DBOS.workflow_id)
        try:
            reserve(ctx)
            charge(ctx)
            complete(ctx)
        except DomainError as error:
            refund(ctx)
            release_and_cancel(ctx, error.reason)
            return "cancelled"
        return "completed"

    return checkout
