"""HTTP metrics of every Flask service, in prometheus-client's multiprocess mode.

gunicorn serves each service from several worker processes; a scrape reaches one of them, so
every process writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics``
sums them all. Under gunicorn, ``web.common.gunicorn_conf`` gives each service its own folder
(``<EMARKET_METRICS_DIR>/<service>``), wipes it at the master's start and marks dead workers.
Anywhere else (``flask run``, tests) the folder is ``EMARKET_METRICS_DIR`` itself, and files of
processes that no longer exist are removed when this module loads. Samples carry a ``service``
label and each service shows only its own, so services sharing a folder never mix.

The folder must be known before prometheus-client creates its first value, hence the order of
this module: choose the folder, then import prometheus_client.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from emarket.config import settings

if TYPE_CHECKING:  # the names only: prometheus_client is imported once the folder is chosen, below
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector


def _choose_folder() -> tuple[str, bool]:
    """(folder, chosen here): an operator's or gunicorn_conf's choice wins."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        return path, False
    path = settings().metrics_dir
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path, True


_DB_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_processes(folder: str) -> None:
    """Drop the files of processes gone for good (an earlier run), so figures start afresh."""
    for file in Path(folder).glob("*.db"):
        match = _DB_FILE.match(file.name)
        if match and int(match[1]) != os.getpid() and not _alive(int(match[1])):
            file.unlink(missing_ok=True)


MULTIPROC_DIR, _chosen_here = _choose_folder()
Path(MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
if _chosen_here:
    forget_dead_processes(MULTIPROC_DIR)

from prometheus_client import (  # noqa: E402 — after PROMETHEUS_MULTIPROC_DIR is chosen: the client reads it at import
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402 — likewise

if values.ValueClass is values.MutexValue:  # prometheus_client was imported before the folder was set
    values.ValueClass = values.MultiProcessValue()

REQUESTS = Counter("http_requests_total", "HTTP requests served, by route template and status",
                   ["service", "method", "endpoint", "status"], registry=None)
LATENCY = Histogram("http_request_duration_seconds", "Time to serve an HTTP request, by route template",
                    ["service", "method", "endpoint"], registry=None)


def observe(service: str, method: str, endpoint: str, status: int, seconds: float) -> None:
    REQUESTS.labels(service, method, endpoint, str(status)).inc()
    LATENCY.labels(service, method, endpoint).observe(seconds)


class _OneService:
    """The multiprocess files' samples of one service only."""

    def __init__(self, service: str, folder: str):
        self.service, self.folder = service, folder

    def collect(self) -> Iterator[Metric]:
        for family in MultiProcessCollector(None, self.folder).collect():
            family.samples = [s for s in family.samples if s.labels.get("service") == self.service]
            if family.samples:
                yield family


def exposition(service: str, collectors: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The Prometheus text of ``/metrics``: this service's HTTP figures plus ``collectors``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_OneService(service, os.environ.get("PROMETHEUS_MULTIPROC_DIR", MULTIPROC_DIR)))
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST
