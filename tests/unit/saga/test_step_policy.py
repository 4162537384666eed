"""Which errors a saga step retries (transient) and which it never does (business rules)."""
from sqlalchemy.exc import IntegrityError, OperationalError

from emarket.errors import InsufficientFunds, OutOfStock, TransientError
from tasks.compensation import failure_reason
from tasks.step import backoff, is_retryable


def test_business_errors_never_retry_and_transient_ones_do():
    assert not is_retryable(OutOfStock())
    assert not is_retryable(InsufficientFunds())
    assert not is_retryable(ValueError("bug"))
    assert is_retryable(TransientError("bank timed out"))
    assert is_retryable(OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert is_retryable(IntegrityError("INSERT", {}, Exception("duplicate key")))


def test_backoff_is_whole_seconds_grows_and_is_capped():
    # A countdown under 1 s is refused by native delayed delivery (tasks.countdown).
    delays = [backoff(n) for n in (0, 1, 3, 20) for _ in range(50)]
    assert all(isinstance(d, int) and d >= 1 for d in delays)
    assert all(backoff(0) == 1 for _ in range(20))  # base 0.5 s rounds up to one second
    assert max(backoff(3) for _ in range(200)) > 1
    assert all(backoff(20) <= 30 for _ in range(50))


def test_failure_reason_of_a_domain_error_survives_json_rebuilding():
    from celery.backends.base import Backend

    from tasks import app

    backend = Backend(app)
    rebuilt = backend.exception_to_python(backend.prepare_exception(InsufficientFunds("insufficient_funds", "9")))
    assert type(rebuilt) is InsufficientFunds and rebuilt.reason == "insufficient_funds" and rebuilt.detail == "9"
    assert failure_reason(rebuilt) == "insufficient_funds"
    assert failure_reason(RuntimeError("x")) == "failed"
