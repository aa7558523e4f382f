"""The journal writer of bench/dashboard_lag.py, a process of its own (as a worker is).

    python bench/journal_writer.py --rate 200 --seconds 20

Appends ``rate`` journal entries a second in small transactions (one every 20 ms) on the database the
environment names, each entry's ``detail`` its commit time (``time.time()``, set just before the insert);
prints a JSON summary on its last line.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TICK = 0.02  # a transaction every 20 ms: 4 entries each at 200/s


def write_journal(rate: float, seconds: float) -> dict:
    """Append ``rate`` entries a second for ``seconds``, a few per transaction; each ``detail`` is its commit time."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from messaging.models import JournalEntry, Kind, Step
    from messaging.runtime import journal

    def entry() -> JournalEntry:
        return JournalEntry(
            at=timezone.now(),
            step=Step.PUBLISHED,
            kind=Kind.EVENT,
            type="bench.Tick",
            context="bench",
            correlation_id="bench-writer",
            actor="bench",
        )

    written, seqs, commit_ms = 0, [], []
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        due = int(elapsed * rate) - written
        if due > 0:
            began = time.perf_counter()
            with transaction.atomic():
                entries = [entry() for _ in range(due)]
                for each in entries:
                    each.detail = f"{time.time():.6f}"  # set last: as close to the commit as the row allows
                journal.append(*entries)
            commit_ms.append((time.perf_counter() - began) * 1000)
            seqs += [each.seq for each in entries]
            written += due
        time.sleep(max(0.0, start + (int(elapsed / TICK) + 1) * TICK - time.monotonic()))
    commit_ms.sort()
    return {
        "written": written,
        "first_seq": min(seqs),
        "last_seq": max(seqs),
        "contiguous": seqs == list(range(min(seqs), max(seqs) + 1)),
        "transactions": len(commit_ms),
        "transaction_ms_p99": commit_ms[int(len(commit_ms) * 0.99)],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, required=True, help="entries a second")
    parser.add_argument("--seconds", type=float, required=True, help="for how long")
    args = parser.parse_args(argv)
    print(json.dumps(write_journal(args.rate, args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
