"""The three databases by name and their metadata (emarket/config.py locates them)."""
from __future__ import annotations

from db import account, bank, emarket  # registers the models on their metadata
from db.base import AccountBase, BankBase, EmarketBase, IdempotentRequestColumns

DATABASES = ("account", "emarket", "bank")
METADATA = {"account": AccountBase.metadata, "emarket": EmarketBase.metadata, "bank": BankBase.metadata}
# Each database keeps the Idempotency-Keys of what it stores (emarket.idempotency).
IDEMPOTENT_REQUESTS: dict[str, type[IdempotentRequestColumns]] = {"account": account.IdempotentRequest, "emarket": emarket.IdempotentRequest,
                       "bank": bank.IdempotentRequest}
