"""The Celery side of emarket: the app and one thin task module per service queue.

``celery -A tasks worker -Q account,order,product,money,money_add,saga`` finds ``tasks.app``.
"""
from tasks.celery_app import app

__all__ = ["app"]
