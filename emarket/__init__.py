"""emarket: the shop's business rules — orders, stock, wallets, top-ups, the saga's steps.

Plain functions over a unit of work; no Celery, no Flask. ``tasks`` and ``web`` call in here.
"""
__version__ = "0.1.0"
