"""Alembic migrations, one history per database (``account``, ``emarket``, ``bank``)."""
