"""What tracing costs: off (the default) and on, exporting every span to a real OTLP/HTTP receiver.

    python bench/tracing_cost.py [--n 2000] [--workers 2] [--repeat 3]

(1) Off, per call: the two pipeline steps, which then only test ``tracing.enabled``, against a chain without
    them; and the test ``outbox.write`` makes. Nanoseconds, median of 7 timings of a million calls.
(2) N events published (one transaction each) then drained by a fresh ``qcluster`` (as
    ``bench/messaging_throughput.py`` (b)), with tracing off and on: publishing's time, the delivery rate
    and the cluster's CPU. On, this process and the cluster export to ``tests/otlp_receiver.py`` through the
    SDK's batch processor, as they would to a collector; the spans received are counted.
"""

import argparse
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.environment import Environment

TRACE_ENV = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_BSP_SCHEDULE_DELAY")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="events for each drain (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="django-q2 workers (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="drains with tracing off and on; medians (default 3)")
    parser.add_argument("--timeout", type=float, default=300, help="give up a drain after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, cluster logs)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = Environment(workers=args.workers, keep=args.keep, debug=False)
    try:
        env.setup()
        print(f"N={args.n}, {args.workers} workers, SQLite WAL, DEBUG=0, repeat {args.repeat}", flush=True)
        for line in off_per_call():
            print(line, flush=True)
        drains(env, args)
    finally:
        env.cleanup()
    return 0


def off_per_call() -> list[str]:
    from messaging.runtime.telemetry import tracing, tracing_step

    assert not tracing.enabled

    def end(attempt):
        pass

    def through_both(attempt):
        tracing_step.consumer(attempt, lambda attempt: tracing_step.handler(attempt, end))

    def publish_check():
        return tracing.producer_start(None) if tracing.enabled else None

    def best(call) -> float:
        return statistics.median(timeit.repeat(lambda: call(None), number=1_000_000, repeat=7)) * 1000  # ns a call

    chain, traced_chain = best(end), best(through_both)
    check = statistics.median(timeit.repeat(publish_check, number=1_000_000, repeat=7)) * 1000
    return [
        f"1 off: a delivery through both tracing steps {traced_chain:.0f} ns, without them {chain:.0f} ns: "
        f"+{traced_chain - chain:.0f} ns a delivery",
        f"1 off: the test in outbox.write {check:.0f} ns a publish",
    ]


def drains(env, args) -> None:
    import os

    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from bench import phases
    from messaging.runtime.telemetry import tracing
    from tests.otlp_receiver import OtlpReceiver

    results = {"off": [], "on": []}
    with OtlpReceiver() as receiver:
        for _ in range(args.repeat):
            for mode in ("off", "on"):
                provider = None
                if mode == "on":
                    os.environ.update(dict(zip(TRACE_ENV, (receiver.endpoint, "200"), strict=True)))
                    provider = TracerProvider()
                    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{receiver.endpoint}/v1/traces")))
                    tracing.install(provider)
                before = len(receiver.spans())
                try:
                    result = phases.messaging(env, args.n, args.timeout)  # stops the cluster: its workers flush
                finally:
                    tracing.uninstall()
                    for name in TRACE_ENV:
                        os.environ.pop(name, None)
                    if provider is not None:
                        provider.shutdown()
                spans = len(receiver.spans()) - before
                results[mode].append(result)
                print(
                    f"2 {mode:3}: {result.rate:7.1f} deliveries/s, cluster CPU {result.cpu:5.1f}s, "
                    f"publishing {result.enqueue_seconds / args.n * 1e6:5.0f} µs an event, {spans} spans received",
                    flush=True,
                )
    off, on = (statistics.median(r.rate for r in results[mode]) for mode in ("off", "on"))
    cpu_off, cpu_on = (statistics.median(r.cpu for r in results[mode]) for mode in ("off", "on"))
    pub_off, pub_on = (
        statistics.median(r.enqueue_seconds for r in results[mode]) / args.n * 1e6 for mode in ("off", "on")
    )
    print(f"2 medians: off {off:.1f}/s, on {on:.1f}/s ({(on / off - 1) * 100:+.1f}%)")
    print(f"  cluster CPU off {cpu_off:.1f}s, on {cpu_on:.1f}s; publishing off {pub_off:.0f} µs, on {pub_on:.0f} µs")


if __name__ == "__main__":
    sys.exit(main())
