"""Execution traces: one line per run, appended (atomic for short lines with O_APPEND)."""

import os
import time
from pathlib import Path

TRACE_DIR_ENV = "BENCH_TRACE_DIR"


def trace_path(kind: str) -> Path:
    return Path(os.environ[TRACE_DIR_ENV]) / f"{kind}.log"


def mark(kind: str, seq: int) -> None:
    with trace_path(kind).open("a") as trace:
        trace.write(f"{seq} {time.time():.6f}\n")


def read(kind: str) -> dict[int, list[float]]:
    """Run times per seq (a seq run twice has two entries)."""
    runs: dict[int, list[float]] = {}
    path = trace_path(kind)
    if not path.exists():
        return runs
    for line in path.read_text().splitlines():
        seq, at = line.split()
        runs.setdefault(int(seq), []).append(float(at))
    return runs
