"""Dashboard stream lag: from a journal row's commit to its arrival at every connected client.

    python bench/dashboard_lag.py [--clients 200] [--rate 200] [--seconds 20] [--slow-seconds 40] ...

One daphne process (DEBUG=0, a throw-away SQLite database in a temp dir, a staff session), C websocket clients
in this process (asyncio), and a writer process appending journal entries at R entries/s in small transactions
(each entry's ``detail`` carries its commit time) for S seconds:

(a) baseline: the same clients and rate, frames made in daphne's memory and fanned out the same way
    (bench/dashboard_echo.py): the lag daphne and Channels add by themselves;
(b) the stream: the real /ws/dashboard/, its journal tail polling the database the writer commits to;
    lag p50/p95/p99/max over all clients, frames/s and entries/s delivered, ``ratio`` (b p99 / a p99);
(c) a slow client: one of the clients stops reading while the others go on: it is dropped (4408, or the
    connection closed) and daphne's RSS is shown before, during and after; the others' lag is unaffected.

The goal: p99 <= 1 s at 200 entries/s with 200 clients.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.environment import Environment


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="connected clients (default 200)")
    parser.add_argument("--rate", type=float, default=200, help="journal entries written per second (default 200)")
    parser.add_argument("--seconds", type=float, default=20, help="length of runs (a) and (b) (default 20)")
    parser.add_argument(
        "--slow-seconds", type=float, default=40, help="length of run (c); the drop needs 5,000 entries (default 40)"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="skip run (a)")
    parser.add_argument("--skip-slow", action="store_true", help="skip run (c)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, daphne logs)")
    return parser.parse_args(argv)


# --- The writer (a process of its own: bench/journal_writer.py) ------------------------------------------------


async def run_writer(rate: float, seconds: float) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve().parent / "journal_writer.py"),
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        stdout=subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"the writer exited with {process.returncode}")
    return json.loads(out.decode().strip().splitlines()[-1])


# --- Runs ------------------------------------------------------------------------------------------------------


class Run:
    """One daphne, C followers: connect, run a load, wait until every follower has it all, collect figures."""

    def __init__(self, daphne, path: str, cookie: str, clients: int):
        from bench.stream_clients import Follower

        self.daphne = daphne
        url = f"ws://{daphne.address}{path}"
        self.followers = [Follower(url, f"http://{daphne.address}", cookie) for _ in range(clients)]
        self.rss = []

    async def __aenter__(self):
        from bench.stream_clients import open_all

        self.tasks = await open_all(self.followers)
        self.rss_before = self.daphne.rss_mb()
        self._sampler = asyncio.create_task(self._sample_rss())
        return self

    async def _sample_rss(self):
        while True:
            self.rss.append(self.daphne.rss_mb())
            await asyncio.sleep(0.5)

    async def measure(self, load, *, last_seq_of, followers=None) -> dict:
        """Run ``load`` (a coroutine); then wait until every follower (still connected) has the last entry."""
        followers = followers or self.followers
        cpu, wall, own_cpu = self.daphne.cpu_seconds(), time.time(), time.process_time()
        result = await load
        target = last_seq_of(result)
        for follower in followers:
            follower.aim(target)
        await asyncio.wait_for(asyncio.gather(*(f.reached.wait() for f in followers)), timeout=60)
        elapsed = time.time() - wall
        return {
            **result,
            "elapsed": elapsed,
            "daphne_cpu": (self.daphne.cpu_seconds() - cpu) / elapsed,
            "clients_cpu": (time.process_time() - own_cpu) / elapsed,
        }

    async def __aexit__(self, *exc):
        self._sampler.cancel()
        for follower in self.followers:
            follower.resume()
        await asyncio.gather(*(f.close() for f in self.followers), return_exceptions=True)
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), timeout=30)


def report(name: str, followers, figures: dict, expected: int) -> dict:
    from bench.stream_clients import describe_lag, percentiles

    lags = [lag for follower in followers for lag in follower.lags]
    complete = sum(1 for f in followers if f.entries == expected and not f.disorder)
    frames = sum(f.frames for f in followers)
    entries = sum(f.entries for f in followers)
    print(f"{name}: {len(followers)} clients, {expected} entries each in {figures['elapsed']:.1f} s")
    print(f"  lag {describe_lag(lags)}")
    print(
        f"  delivered {frames / figures['elapsed']:.0f} frames/s, {entries / figures['elapsed']:.0f} entries/s "
        f"(mean {entries / max(frames, 1):.1f} entries a frame); {complete}/{len(followers)} clients got every "
        f"entry once, in order"
    )
    print(f"  CPU: daphne {figures['daphne_cpu']:.0%}, this process's clients {figures['clients_cpu']:.0%}")
    return percentiles(lags)


async def baseline(args, env, cookie: str) -> dict:
    from bench.daphne import Daphne
    from bench.stream_clients import Follower

    with Daphne("bench.dashboard_echo:application", env.dir / "daphne-echo.log") as daphne:
        async with Run(daphne, "/ws/echo/", cookie, args.clients) as run:
            control = Follower(f"ws://{daphne.address}/ws/echo/", f"http://{daphne.address}", cookie)
            await control.open()
            count = int(args.rate * args.seconds)

            async def load():
                start = {"rate": args.rate, "seconds": args.seconds, "interval": interval()}
                await control._ws.send(json.dumps({"start": start}))
                await asyncio.sleep(args.seconds)
                return {"last_seq": count}

            figures = await run.measure(load(), last_seq_of=lambda r: r["last_seq"])
            await control.close()
            return report("a baseline (frames from daphne's memory)", run.followers, figures, count)


async def stream(args, env, cookie: str, after: int) -> dict:
    from bench.daphne import Daphne

    with Daphne("marketplace.asgi:application", env.dir / "daphne-stream.log") as daphne:
        async with Run(daphne, f"/ws/dashboard/?after={after}", cookie, args.clients) as run:
            figures = await run.measure(run_writer(args.rate, args.seconds), last_seq_of=lambda r: r["last_seq"])
            print(f"  writer: {figures['transactions']} transactions, p99 {figures['transaction_ms_p99']:.1f} ms")
            return report("b the stream (journal -> tail -> clients)", run.followers, figures, figures["written"])


async def slow_client(args, env, cookie: str, after: int) -> None:
    from bench.daphne import Daphne

    log = env.dir / "daphne-slow.log"
    with Daphne("marketplace.asgi:application", log) as daphne:
        async with Run(daphne, f"/ws/dashboard/?after={after}", cookie, args.clients) as run:
            slow, others = run.followers[0], run.followers[1:]

            async def load():
                writer = asyncio.create_task(run_writer(args.rate, args.slow_seconds))
                await asyncio.sleep(2)
                slow.pause()
                paused_at = time.time()
                return {**await writer, "paused_at": paused_at}

            figures = await run.measure(load(), last_seq_of=lambda r: r["last_seq"], followers=others)
            rss_during = max(run.rss)
            slow.resume()  # read what reached this side, then the close (or the dropped connection)
            with contextlib.suppress(TimeoutError):  # not dropped: reported as such below
                await asyncio.wait_for(slow.reached.wait(), timeout=30)
            await asyncio.sleep(3)
            rss_after = daphne.rss_mb()
            dropped = dropped_at(log)
            print(f"c one slow client among {args.clients}: stopped reading 2 s into a {args.slow_seconds:g} s run")
            when = f"{dropped - figures['paused_at']:.1f} s after it stopped reading" if dropped else "no log line"
            print(
                f"  the slow client: got {slow.entries} of {figures['written']} entries, then closed with "
                f"{slow.close_code} (daphne's log: 4408 {when})"
            )
            report("  the other clients", others, figures, figures["written"])
            print(f"  daphne RSS: before {run.rss_before:.1f} MiB, peak during {rss_during:.1f}, after {rss_after:.1f}")


def dropped_at(log: Path) -> float | None:
    """When the consumer closed a socket with 4408, from daphne's log (its local time, as logged)."""
    for line in log.read_text(errors="replace").splitlines():
        if "with 4408" in line:
            stamp = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})", line)
            if stamp:
                return datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return None


def interval() -> float:
    from django.conf import settings

    return settings.DASHBOARD_TAIL_INTERVAL


def staff_cookie() -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff = get_user_model().objects.create_user("bench-operator", is_staff=True)
    client = Client()
    client.force_login(staff)
    return client.cookies["sessionid"].value


def newest_seq() -> int:
    from messaging.models import JournalEntry

    return JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def main(argv=None) -> int:
    args = parse_args(argv)
    env = Environment(workers=1, keep=args.keep, debug=False)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    try:
        env.setup()
        cookie = staff_cookie()
        print(
            f"SQLite WAL at {env.dir}; DEBUG=0; one daphne; {args.clients} clients; {args.rate:g} entries/s for "
            f"{args.seconds:g} s; tail interval {interval():g} s; load average {_load()}",
            flush=True,
        )
        a = None if args.skip_baseline else asyncio.run(baseline(args, env, cookie))
        b = asyncio.run(stream(args, env, cookie, newest_seq()))
        if a:
            print(f"ratio (b p99 / a p99): {b['p99'] / a['p99']:.2f}")
        goal = "met" if b["p99"] <= 1000 else "NOT met"
        print(f"goal p99 <= 1000 ms at {args.rate:g} entries/s with {args.clients} clients: {goal}", flush=True)
        if not args.skip_slow:
            asyncio.run(slow_client(args, env, cookie, newest_seq()))
        print(f"load average at the end {_load()}")
    finally:
        env.cleanup()
    return 0


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
