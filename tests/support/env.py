"""Pointing this test process at other settings for a while, and back."""
from __future__ import annotations

import os
from contextlib import contextmanager

from emarket.config import settings


@contextmanager
def overridden_env(values: dict):
    """Set these environment variables (the settings are read again) for the block; restore
    the previous values, or their absence, afterwards."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    settings.cache_clear()
    try:
        yield values
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        settings.cache_clear()
