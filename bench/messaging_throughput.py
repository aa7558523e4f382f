"""Messaging throughput and latency against raw django-q2, on the embedded default setup.

    python bench/messaging_throughput.py [--n 2000] [--workers 2] [--repeat 1] ...

(a) N no-op django-q2 tasks, queued, then a fresh ``qcluster`` drains them;
(b) N events published to one no-op subscriber, queued, then a fresh ``qcluster``
    runs every delivery;
(c) publish-to-handled latency at a light rate into a running cluster.

Same settings (the project's Q_CLUSTER and MESSAGING, SQLite WAL, DEBUG=1) and
the same N for (a) and (b); each phase starts from a freshly migrated copy of a
throw-away database. Prints both rates, ``ratio: X.XX`` (b/a) and (c).
``--metrics``, ``--tracing`` (every span exported) and ``--tracing-sampled`` (a tenth of the traces) each
run (b) again in each repeat with that feature on (``bench/toggles.py``) and print its rate and
``ratio vs off: X.XX``.
Where (b)'s time goes: ``bench/profile_delivery.py`` (SQL statements and a
cProfile per delivery, in-process) and ``--py-spy`` (the real cluster).
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.environment import Environment
from bench.toggles import TOGGLES


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="messages for each throughput run (default 2000)")
    parser.add_argument("--rate", type=float, default=20, help="messages/s for the latency run (default 20)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the latency run (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="django-q2 workers (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of (a) and (b); the median counts (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, cluster logs, traces)")
    parser.add_argument("--timeout", type=float, default=300, help="give up a phase after this many seconds")
    parser.add_argument("--skip-latency", action="store_true", help="measure throughput only")
    parser.add_argument("--no-debug", action="store_true", help="DEBUG=0 (no SQL logging) instead of DEBUG=1")
    parser.add_argument("--py-spy", metavar="PATH", help="sample the first (b) run with py-spy at PATH (slows it)")
    for name, toggle in TOGGLES.items():
        parser.add_argument(f"--{name}", action="store_true", help=toggle.help)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = Environment(workers=args.workers, keep=args.keep, debug=not args.no_debug)
    toggles = [toggle for name, toggle in TOGGLES.items() if getattr(args, name.replace("-", "_"))]
    try:
        for toggle in toggles:
            toggle.prepare(env.dir)
        env.setup()
        from django.conf import settings

        from bench import phases
        from bench.spy import Spy

        q = settings.Q_CLUSTER
        print(
            f"SQLite WAL at {env.dir}; Q_CLUSTER workers={q['workers']} bulk={q.get('bulk', 1)} "
            f"poll={q.get('poll', 0.2)} save_limit={q.get('save_limit')}; DEBUG={settings.DEBUG}; "
            f"N={args.n}; repeat={args.repeat}; load average {_load()}",
            flush=True,
        )
        raw, bus = [], []
        toggled = {toggle.name: [] for toggle in toggles}
        spy = Spy(args.py_spy, env.dir / "b.pyspy.txt") if args.py_spy else None
        for run in range(args.repeat):
            raw.append(phases.raw_queue(env, args.n, args.timeout))
            print(raw[-1].line(), flush=True)
            bus.append(phases.messaging(env, args.n, args.timeout, spy=spy if run == 0 else None))
            print(bus[-1].line(), flush=True)
            for toggle in toggles:  # in each repeat, right after (b) off: the same moment of a noisy machine
                with toggle.on():
                    toggled[toggle.name].append(phases.messaging(env, args.n, args.timeout, name=f"b {toggle.name}"))
                print(toggled[toggle.name][-1].line(), flush=True)
        a = statistics.median(r.rate for r in raw)
        b = statistics.median(r.rate for r in bus)
        print(f"a raw django-q2 rate: {a:.1f} msgs/s")
        print(f"b messaging rate:     {b:.1f} msgs/s")
        print(f"ratio: {b / a:.2f}")
        for name, results in toggled.items():
            rate = statistics.median(r.rate for r in results)
            queued = statistics.median(r.enqueue_seconds for r in results) / statistics.median(
                r.enqueue_seconds for r in bus
            )
            print(f"b {name}: {rate:.1f} msgs/s; ratio vs off: {rate / b:.2f}; publishing took {queued:.2f}x as long")
        if not args.skip_latency:
            result = phases.latency(env, args.rate, args.seconds, args.timeout)
            print(f"c latency at {args.rate:g} msgs/s for {args.seconds:g}s ({result.count} events, cluster running):")
            for line in result.lines():
                print(f"  {line}")
        print(f"load average at the end {_load()}")
        if spy is not None:
            print("\n".join(spy.summary()))
    finally:
        env.cleanup()
    return 0


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
