"""Where one delivery's time goes, in-process (no django-q2): SQL statements and a cProfile.

    python bench/profile_delivery.py [--n 100] [--profile-n 1000] [--top 25]

Runs the worker's own code (``delivery_claim_next`` + ``execute``) on a
throw-away SQLite database with the bench settings, like one django-q2 worker.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.environment import Environment

# (label, file suffix, function name) of the steps worth a line of their own.
STEPS = [
    ("claim (delivery_claim_next)", "messaging/runtime/claims.py", "delivery_claim_next"),
    ("execute", "messaging/runtime/worker.py", "execute"),
    ("  pipeline: load (verify signature + validate)", "messaging/runtime/pipeline/load.py", "message_load"),
    ("    signing.is_authentic", "messaging/runtime/signing.py", "is_authentic"),
    ("  pipeline: lease (FOR UPDATE) and the steps inside it", "messaging/runtime/pipeline/lease.py", "step"),
    ("  handler (no-op + trace line)", "bench/benchapp/handlers.py", "on_bench_pinged"),
    ("  pipeline: transaction's succeed", "messaging/runtime/pipeline/transaction.py", "succeed"),
    ("    breaker.record_success", "messaging/runtime/breaker.py", "record_success"),
    ("journal.append (claim + succeed)", "messaging/runtime/journal.py", "append"),
    ("transaction.atomic __exit__ (commit)", "django/db/transaction.py", "__exit__"),
    ("sqlite3 execute (all SQL)", "~", "<function SQLiteCursorWrapper.execute"),
    ("sqlite3 commit", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
]


def publish_events(n: int) -> None:
    from django.db import transaction

    from bench.benchapp.contracts import BenchPinged
    from messaging import publish

    for seq in range(n):
        with transaction.atomic():
            publish(BenchPinged(seq=seq))


def run_deliveries(limit: int) -> int:
    from messaging.runtime.claims import delivery_claim_next
    from messaging.runtime.worker import execute

    done = 0
    while done < limit and (claim := delivery_claim_next(actor="bench")) is not None:
        execute(claim)
        done += 1
    return done


def count_statements(env, n: int) -> None:
    from bench.sql_trace import traced
    from messaging.runtime.claims import delivery_claim_next

    env.reset()
    with traced() as published:
        publish_events(n)
    with traced() as delivered:
        assert run_deliveries(n) == n
    with traced() as empty:
        assert delivery_claim_next(actor="bench") is None
    for title, log, per in [
        (f"publish (own transaction + on_commit wake-up), per event, n={n}", published, n),
        (f"delivery (claim + execute), per delivery, n={n}", delivered, n),
        ("an empty claim (what each surplus wake-up costs)", empty, 1),
    ]:
        print(
            f"\n{title}: {len(log) / per:.1f} statements ({log.debug_only / per:.1f} of them DEBUG-only), "
            f"{log.transactions / per:.1f} explicit transactions (BEGIN)"
        )
        for kind, count in sorted(log.by_kind().items(), key=lambda item: -item[1]):
            print(f"  {count / per:5.2f}  {kind}")


def profile(env, n: int, top: int) -> None:
    env.reset()
    publish_events(n)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    assert run_deliveries(n) == n
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"\nin-process, one worker, no django-q2: {n} deliveries in {elapsed:.2f}s = {n / elapsed:.0f}/s (profiled)")
    stats = pstats.Stats(profiler)
    print(f"{'cumulative ms per delivery':>28}  step")
    for label, suffix, name in STEPS:
        cumulative = sum(
            row[3] for (file, _, func), row in stats.stats.items() if func.startswith(name) and file.endswith(suffix)
        )
        print(f"{cumulative / n * 1000:28.3f}  {label}")
    if not top:
        return
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(f"\ntop {top} by own time:\n" + out.getvalue().split("\n", 4)[-1])


def timed(env, n: int) -> None:
    """Wall and CPU time (CPU is steadier on a shared machine) of claim and execute."""
    from messaging.runtime.claims import delivery_claim_next
    from messaging.runtime.worker import execute

    env.reset()
    publish_events(n)
    wall = {"claim": 0.0, "execute": 0.0}
    cpu = dict(wall)
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        claim = delivery_claim_next(actor="bench")
        w1, c1 = time.perf_counter(), time.process_time()
        execute(claim)
        w2, c2 = time.perf_counter(), time.process_time()
        wall["claim"], wall["execute"] = wall["claim"] + w1 - w0, wall["execute"] + w2 - w1
        cpu["claim"], cpu["execute"] = cpu["claim"] + c1 - c0, cpu["execute"] + c2 - c1
    print(f"\nin-process, one worker, no django-q2, unprofiled, {n} deliveries:")
    for name, times in (("wall", wall), ("CPU", cpu)):
        total = sum(times.values())
        print(
            f"  {name:4s} {total:.2f}s = {n / total:.0f}/s; per delivery {times['claim'] / n * 1000:.2f} ms claim "
            f"+ {times['execute'] / n * 1000:.2f} ms execute"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="deliveries whose SQL is counted (default 100)")
    parser.add_argument("--profile-n", type=int, default=1000, help="deliveries profiled (default 1000)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time (default 25)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--no-debug", action="store_true", help="DEBUG=0 (no SQL logging) instead of DEBUG=1")
    args = parser.parse_args(argv)
    env = Environment(workers=2, keep=args.keep, debug=not args.no_debug)
    try:
        env.setup()
        count_statements(env, args.n)
        timed(env, args.profile_n)
        profile(env, args.profile_n, args.top)
    finally:
        env.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
