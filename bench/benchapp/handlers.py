"""The no-op subscriber measured in (b) and (c): it only records that, and when, it ran."""

from bench.benchapp import trace
from bench.benchapp.contracts import BenchPinged
from messaging import handler

HANDLED = "handled"


@handler(BenchPinged)
def on_bench_pinged(event: BenchPinged) -> None:
    trace.mark(HANDLED, event.seq)
