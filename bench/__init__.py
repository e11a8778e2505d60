"""Benchmark harnesses (not shipped; run with `make bench`)."""
