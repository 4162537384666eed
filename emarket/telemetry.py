"""OpenTelemetry tracing for every process: one saga is one trace, from the HTTP request that
started it through every Celery step and compensation, with its SQL statements and its calls to
the bank.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; then spans go over OTLP/HTTP to that
endpoint (the standard ``OTEL_*`` variables configure the exporter). A test passes a provider of
its own (an in-memory exporter) instead. Celery, SQLAlchemy and requests are instrumented for
the whole process by ``configure``; a Flask app by ``instrument_flask`` when it is built
(``web.common.health``); workers and beat call ``configure`` as they set up logging
(``tasks.signals``). The trace context crosses the broker in the task message's headers, and the JSON logs
(``emarket.logs``) carry the current trace id.
"""
from __future__ import annotations

import os

from flask import Flask
from opentelemetry import trace
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_provider: TracerProvider | None = None
_INSTRUMENTORS = (CeleryInstrumentor, SQLAlchemyInstrumentor, RequestsInstrumentor)
# Probes and scrapes are no part of any saga: they would only bury the traces that are.
_UNTRACED_URLS = "health/live,health/ready,metrics"


def enabled() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def provider() -> TracerProvider | None:
    """The provider this process traces with, or None when tracing is off."""
    return _provider


def configure(service: str, tracer_provider: TracerProvider | None = None) -> TracerProvider | None:
    """Start tracing this process as ``service`` (once; later calls return the same provider).
    Without ``tracer_provider`` and without an OTLP endpoint, nothing is installed: no cost."""
    global _provider
    if _provider is not None:
        return _provider
    if tracer_provider is None:
        if not enabled():
            return None
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider = TracerProvider(resource=Resource.create({"service.name": service}))
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(tracer_provider)
    _provider = tracer_provider
    for instrumentor in _INSTRUMENTORS:
        # The SQLAlchemy instrumentation declares "< 2.1" but hooks only the engine events 2.1
        # still has (tests/integration/test_traces.py sees its spans): skip that version check.
        instrumentor().instrument(tracer_provider=tracer_provider, skip_dep_check=True)
    from db.engine import dispose_all

    dispose_all()  # engines made before this point are not instrumented: make them again
    return tracer_provider


def shutdown() -> None:
    """Stop tracing this process (tests): uninstrument and forget the provider."""
    global _provider
    if _provider is None:
        return
    for instrumentor in _INSTRUMENTORS:
        instrumentor().uninstrument()
    _provider = None
    from db.engine import dispose_all

    dispose_all()


def instrument_flask(app: Flask) -> None:
    """Trace every request of this app (a no-op while tracing is off). A request that carries a
    W3C ``traceparent`` header joins the caller's trace."""
    if _provider is not None:
        FlaskInstrumentor.instrument_app(app, tracer_provider=_provider, excluded_urls=_UNTRACED_URLS)
