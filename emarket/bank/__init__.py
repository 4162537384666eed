"""Mbank, the external bank: accounts, holds, capture into the merchant account.

Business rules only, as plain functions over a unit of work on the ``bank`` database; the
Flask service in ``web/bank`` translates HTTP to these calls. Every state change of a hold is
a compare-and-set (``UPDATE … WHERE status = expected``) so concurrent confirmations, releases
and expiry cannot move money twice.
"""
