"""Benchmarks: messaging throughput and latency against raw django-q2 (not tests)."""
