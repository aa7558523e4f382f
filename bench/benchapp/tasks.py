"""The raw django-q2 baseline's task: the same no-op as the messaging handler."""

from bench.benchapp import trace

NOOP = "noop"
NOOP_TASK = "bench.benchapp.tasks.noop"


def noop(seq: int) -> None:
    trace.mark(NOOP, seq)
