"""The chaos runner: orders and top-ups driven through the real stack while workers are
killed, RabbitMQ and Redis restart, messages arrive twice and the bank fails; then every
invariant is checked. ``python -m tests.chaos --help``."""
