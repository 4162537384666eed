"""One saga is one trace: a paid order's HTTP requests (this process, the shop app, its spans in
an in-memory exporter) and every step the real worker ran (a separate process that exports over
OTLP/HTTP, to a collector this test serves) share one trace id, and the worker's JSON log lines
for that order carry it. A client that sends the same W3C ``traceparent`` on both of its
requests (placing the order, paying it) gets both phases in that one trace.
"""
from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from emarket import telemetry
from tests.integration.saga_helpers import wait_final, wait_status
from tests.support import seed
from tests.support.tokens import bearer, mint
from tests.support.wait import wait_until

PHASE1 = ["order.register", "product.check", "order.await_payment"]
PHASE2 = ["order.start_payment", "product.reserve", "money.charge", "order.complete"]


class Collector(ThreadingHTTPServer):
    """The smallest OTLP/HTTP trace receiver: keeps (trace id, span name, attributes) per span."""

    def __init__(self):
        self.spans: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Receive)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def of_trace(self, trace_id: str) -> list[tuple[str, dict]]:
        with self.lock:
            return [(name, attrs) for tid, name, attrs in self.spans if tid == trace_id]


class _Receive(BaseHTTPRequestHandler):
    def do_POST(self):  # http.server's name
        request = ExportTraceServiceRequest.FromString(self.rfile.read(int(self.headers["Content-Length"])))
        spans = [(span.trace_id.hex(), span.name,
                  {kv.key: kv.value.string_value for kv in span.attributes})
                 for resource in request.resource_spans for scope in resource.scope_spans for span in scope.spans]
        with self.server.lock:
            self.server.spans.extend(spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


@pytest.fixture(scope="module")
def collector():
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def traced_worker(collector, swap_worker):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
           "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with swap_worker(env) as worker:
        yield worker


@pytest.fixture
def web_spans(traced_worker):
    """The shop app of this test traced into memory; tracing is off again afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.configure("shop", provider)
    try:
        from web.shop import create_app

        app = create_app()
        app.testing = True
        yield app.test_client(), exporter
    finally:
        telemetry.shutdown()


def traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def worker_tasks(collector, trace_id: str) -> list[str]:
    return [attrs.get("celery.task_name") or name.split("/", 1)[-1]
            for name, attrs in collector.of_trace(trace_id) if name.startswith("run/")]


def test_a_paid_order_is_one_trace_from_the_requests_through_every_step(web_spans, collector, traced_worker):
    shop, exporter = web_spans
    user, product = seed.user(balance=10_000), seed.product(count=10, price=250)
    trace_id, parent = traceparent()
    headers = {**bearer(mint(user)), "traceparent": parent}

    placed = shop.post("/api/orders", json={"items": [{"product_id": product, "quantity": 1}]}, headers=headers)
    assert placed.status_code == 202, placed.get_data(as_text=True)
    order_id = placed.get_json()["id"]
    wait_status(order_id, "awaiting_payment")
    assert shop.post(f"/api/orders/{order_id}/payment", headers=headers).status_code == 202
    assert wait_final(order_id).status == "completed"

    # This process: both requests, the order's SQL and the publishes, all in the client's trace.
    spans = exporter.get_finished_spans()
    ours = [s for s in spans if format(s.context.trace_id, "032x") == trace_id]
    assert {s.name for s in ours if s.kind.name == "SERVER"} == {"POST /api/orders", "POST /api/orders/<order_id>/payment"}
    assert any(s.attributes.get("db.system") == "postgresql" for s in ours)
    assert any(s.name.startswith("apply_async/") for s in ours)
    assert {format(s.context.trace_id, "032x") for s in spans if s.kind.name == "SERVER"} == {trace_id}

    # The worker, over OTLP: every step of both phases ran in that trace, with its SQL.
    wait_until(lambda: set(PHASE1 + PHASE2) <= set(worker_tasks(collector, trace_id)), timeout=15,
               what="every step's span at the collector")
    assert sorted(worker_tasks(collector, trace_id)) == sorted(PHASE1 + PHASE2)
    assert any(attrs.get("db.system") == "postgresql" for _, attrs in collector.of_trace(trace_id))

    # The worker's log lines about this order carry the trace id.
    lines = [json.loads(line) for line in traced_worker.log().splitlines() if order_id in line]
    steps = [e for e in lines if e.get("msg") in ("step started", "step done")]
    assert len(steps) == 2 * len(PHASE1 + PHASE2)
    assert {e.get("trace_id") for e in steps} == {trace_id}


def test_compensations_are_in_the_trace_of_the_saga_they_undo(web_spans, collector, traced_worker):
    shop, _ = web_spans
    poor, product = seed.user(balance=100), seed.product(count=10, price=250)
    trace_id, parent = traceparent()
    headers = {**bearer(mint(poor)), "traceparent": parent}

    order_id = shop.post("/api/orders", json={"items": [{"product_id": product, "quantity": 1}]},
                         headers=headers).get_json()["id"]
    wait_status(order_id, "awaiting_payment")
    assert shop.post(f"/api/orders/{order_id}/payment", headers=headers).status_code == 202
    assert wait_final(order_id).reason == "insufficient_funds"

    wait_until(lambda: {"product.release", "order.cancel"} <= set(worker_tasks(collector, trace_id)),
               timeout=15, what="the compensations' spans at the collector")
    assert {"money.charge", "saga.compensate"} <= set(worker_tasks(collector, trace_id))
