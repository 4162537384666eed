"""gunicorn settings for every emarket HTTP service:
``gunicorn -c python:web.common.gunicorn_conf -b 0.0.0.0:8000 'web.shop:create_app()'``.

- Processes: every service, however it runs (``emarket up``, docker-compose.yml, deploy/kubernetes),
  takes its workers, threads and timeouts from here; the command line adds only the port.
- Metrics: the master gives the service its own prometheus multiprocess folder,
  ``<EMARKET_METRICS_DIR>/<service>``, empties it before any worker starts (nothing alive
  writes there yet, so that is the one safe moment), and marks each worker that exits dead,
  so ``/metrics`` sums live and past workers of this run only.
- Logs: gunicorn's own messages are JSON lines on stderr like everything else; the access log
  is off because every service writes its own JSON line per request (``web.common.request_log``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

workers = 2
threads = 4
timeout = 60
graceful_timeout = 5
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "emarket.logs.JsonFormatter", "service": "gunicorn"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": []},  # the app configures the root logger itself
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


def service_of(app_uri: str) -> str:
    """``web.shop:create_app()`` → ``shop``."""
    module = app_uri.split(":", 1)[0]
    return module.rsplit(".", 1)[-1] or "web"


def on_starting(server: Arbiter) -> None:
    from emarket.config import settings

    folder = Path(settings().metrics_dir) / service_of(getattr(server.app, "app_uri", "") or "web")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def child_exit(server: Arbiter, worker: Worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
