"""Benchmarks that print figures against a baseline run beside them (see bench/README.md)."""
