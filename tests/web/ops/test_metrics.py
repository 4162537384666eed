"""GET /metrics on each service, the saga figures on the shop's, and the per-request JSON log
line with its correlation id."""
from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tasks import metrics as saga_metrics
from tests.support.wait import wait_until

SERVICES = ("shop", "auth", "bank")


def scrape(client) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one /metrics reply."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def request_count(samples, service, endpoint, status="200", method="GET") -> float:
    key = ("http_requests_total", tuple(sorted(
        {"service": service, "endpoint": endpoint, "method": method, "status": status}.items())))
    return samples.get(key, 0.0)


@pytest.mark.parametrize("service", SERVICES)
def test_metrics_count_requests_by_route_template_with_latency(client_of, service):
    client = client_of(service)
    before = request_count(scrape(client), service, "/info")
    for _ in range(3):
        assert client.get("/info").status_code == 200
    samples = scrape(client)
    # Other processes of this machine may serve /info meanwhile (the folder is shared): at least ours.
    assert request_count(samples, service, "/info") >= before + 3
    count = [v for (name, labels), v in samples.items() if name == "http_request_duration_seconds_count"
             and dict(labels) == {"service": service, "endpoint": "/info", "method": "GET"}]
    assert count and count[0] >= 3
    # Only this service's samples: another service's never show here.
    assert all(dict(labels).get("service") in (None, service) for (name, labels) in samples
               if name.startswith("http_"))


def test_the_endpoint_label_is_the_route_not_the_path(client_of):
    client = client_of("shop")
    client.get("/api/products/987654321")
    client.get("/no/such/page/12345")
    labels = [dict(labels) for (name, labels) in scrape(client) if name == "http_requests_total"]
    endpoints = {label["endpoint"] for label in labels}
    assert not any("987654321" in e or "12345" in e for e in endpoints)
    assert any(e.startswith("/api/products/<") for e in endpoints)
    assert "<unmatched>" in endpoints


def saga_value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_shop_serves_the_saga_figures_from_redis(client_of):
    client = client_of("shop")
    before = scrape(client)
    saga_metrics.saga_started()
    saga_metrics.saga_completed()
    saga_metrics.saga_cancelled("out_of_stock")
    saga_metrics.compensation_ran("product.release")
    saga_metrics.topup_moved("credited")
    saga_metrics.step_observed("order.register", 0.02)
    saga_metrics.flush()  # what the timer would do within a second
    after = scrape(client)
    for name, labels in (("emarket_sagas_started_total", {}), ("emarket_sagas_completed_total", {}),
                         ("emarket_sagas_cancelled_total", {"reason": "out_of_stock"}),
                         ("emarket_compensations_total", {"step": "product.release"}),
                         ("emarket_topups_total", {"status": "credited"}),
                         ("emarket_saga_step_seconds_count", {"step": "order.register"}),
                         ("emarket_saga_step_seconds_bucket", {"step": "order.register", "le": "0.025"})):
        assert saga_value(after, name, **labels) == saga_value(before, name, **labels) + 1, name
    # 0.02 s is above the 0.01 bucket: that one did not move.
    assert saga_value(after, "emarket_saga_step_seconds_bucket", step="order.register", le="0.01") == \
        saga_value(before, "emarket_saga_step_seconds_bucket", step="order.register", le="0.01")


def test_step_latencies_are_sent_within_a_second_without_another_step(client_of):
    client = client_of("shop")
    step = "product.check"
    before = scrape(client)
    for seconds in (0.003, 0.2, 0.2):
        saga_metrics.step_observed(step, seconds)
    # No flush called: the process's timer sends the three in one pipeline.
    after = wait_until(lambda: (lambda now: now if saga_value(now, "emarket_saga_step_seconds_count", step=step)
                                > saga_value(before, "emarket_saga_step_seconds_count", step=step) else None)(
        scrape(client)), timeout=5, what="the timer to send the step latencies")
    moved = lambda name, **labels: saga_value(after, name, step=step, **labels) - saga_value(before, name, step=step, **labels)  # noqa: E731 — read as a formula in the asserts below
    assert moved("emarket_saga_step_seconds_count") == 3
    assert moved("emarket_saga_step_seconds_bucket", le="0.005") == 1
    assert moved("emarket_saga_step_seconds_bucket", le="0.25") == 3
    assert moved("emarket_saga_step_seconds_sum") == pytest.approx(0.403)


@pytest.mark.parametrize("service", ("auth", "bank"))
def test_only_the_shop_serves_the_saga_figures(client_of, service):
    assert not any(name.startswith("emarket_") for name, _ in scrape(client_of(service)))


def test_the_shop_still_serves_http_metrics_when_redis_is_down(client_of):
    samples = scrape(client_of("shop", EMARKET_REDIS_URL="redis://127.0.0.1:1/0"))
    assert any(name == "http_requests_total" for name, _ in samples)
    assert not any(name.startswith("emarket_sagas") for name, _ in samples)


def _request_lines(captured: str) -> list[dict]:
    lines = []
    for line in captured.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == "request":
            lines.append(entry)
    return lines


@pytest.mark.parametrize("service", SERVICES)
def test_a_request_logs_one_json_line_with_the_callers_correlation_id(client_of, service, capsys):
    client = client_of(service)
    capsys.readouterr()
    response = client.get("/info", headers={"X-Correlation-ID": "trace-42.a"})
    assert response.headers["X-Correlation-ID"] == "trace-42.a"
    [line] = [e for e in _request_lines(capsys.readouterr().err) if e.get("cid") == "trace-42.a"]
    assert line["service"] == service
    assert (line["method"], line["path"], line["endpoint"], line["status"]) == ("GET", "/info", "/info", 200)
    assert line["duration_ms"] >= 0 and "user_id" in line


def test_probes_log_at_debug_unless_they_fail(client_of, capsys):
    client = client_of("shop")
    capsys.readouterr()
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready", headers={"X-Correlation-ID": "probe-1"}).status_code == 200
    assert not [e for e in _request_lines(capsys.readouterr().err) if e["path"].startswith("/health")]
    failing = client_of("shop", EMARKET_REDIS_URL="redis://127.0.0.1:1/0")
    capsys.readouterr()
    assert failing.get("/health/ready").status_code == 503
    [line] = [e for e in _request_lines(capsys.readouterr().err) if e["path"] == "/health/ready"]
    assert line["status"] == 503


def test_a_missing_or_unsafe_correlation_id_is_replaced_by_a_fresh_one(client_of):
    client = client_of("shop")
    first = client.get("/health/live").headers["X-Correlation-ID"]
    second = client.get("/health/live").headers["X-Correlation-ID"]
    unsafe = client.get("/health/live", headers={"X-Correlation-ID": "evil\" id;rm"}).headers["X-Correlation-ID"]
    assert len({first, second, unsafe}) == 3
    assert all(len(cid) == 32 and cid.isalnum() for cid in (first, second, unsafe))
