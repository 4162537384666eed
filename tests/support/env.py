"""Settings of a test's own, in force for a block (emarket.config.in_force): nothing global
changes, so nothing is left behind for the next test. They are written as the ``EMARKET_*``
variables a subprocess (a worker the test starts) is given as its environment, so one dict
configures both."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from emarket.config import Settings, in_force, settings


def settings_with(values: Mapping[str, str], base: Settings | None = None) -> Settings:
    """``base`` (default: the settings in force) with these ``EMARKET_*`` variables' values over
    it, converted as if read from the environment; other variables (``OTEL_*``…) are ignored."""
    fields = {key.removeprefix("EMARKET_").lower(): value
              for key, value in values.items() if key.startswith("EMARKET_")}
    return Settings(**{**(base or settings()).model_dump(), **fields})


@contextmanager
def overridden_env(values: Mapping[str, str]) -> Iterator[Settings]:
    """The block runs with the settings in force plus these ``EMARKET_*`` values; the process's
    environment is left alone (hand ``values`` to a subprocess as its env)."""
    with in_force(settings_with(values)) as given:
        yield given


def settings_over(**fields: object) -> Settings:
    """The settings in force with these fields changed (validated as ``Settings(...)`` is)."""
    return Settings(**{**settings().model_dump(), **fields})
