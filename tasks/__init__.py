"""The Celery side of emarket: the app and one thin task module per service queue.

A task module carries the name of the business module it adapts (``tasks/stock.py`` over
``emarket/stock.py``). The Celery task names keep the service's name (``product.reserve``):
they are the wire contract, and route to the service's queue by that prefix.

    queue (service)          tasks                     business
    order (Morder)           tasks/order.py            emarket/order.py
    product (Mproduct)       tasks/stock.py            emarket/stock.py
    money (Mmoney)           tasks/wallet.py           emarket/wallet.py
    money_add (MmoneyAdd)    tasks/topup.py            emarket/topup.py
    account (Maccount)       tasks/accounts.py         emarket/accounts.py
    saga (choreographer)     tasks/compensation.py     emarket/order.py (claim)
                             tasks/payment_clock.py    emarket/order.py (expire, overdue)
                             tasks/redrive.py          emarket/order.py (stuck, touch)
                             tasks/audit.py            emarket/audit.py
                             tasks/housekeeping.py     emarket/idempotency.py

The chains of the two phases are built in ``tasks/chains.py`` (no task of its own); the
shop sends them through its saga client (``web/shop/saga_client.py``). Imports run one way,
redrive → chains → compensation → order, stock, wallet → payment_clock, and no further back:
``tests/test_import_graph.py`` holds the whole house to it.

``celery -A tasks worker -Q account,order,product,money,money_add,saga`` finds ``tasks.app``.
"""
from tasks.celery_app import app

__all__ = ["app"]
