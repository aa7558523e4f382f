"""The bench context's one public message."""

from messaging import Event


class BenchPinged(Event):
    seq: int
