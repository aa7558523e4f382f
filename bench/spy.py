"""Optional: sample the cluster with py-spy during (b) and say where the workers' time went.

py-spy is not a project dependency: ``pip install --target /tmp/pyspy py-spy``,
then ``--py-spy /tmp/pyspy/bin/py-spy``. Samples include idle time (``--idle``),
so waiting on SQLite's write lock shows up.
"""

import subprocess
from collections import Counter
from pathlib import Path

IN_TASK = "run_due_deliveries (messaging/runtime/worker.py"
# (label, frame prefix): a sample counts for every label one of its frames starts with.
STEPS = [
    ("claim: delivery_claim_batch", "delivery_claim_batch (messaging/runtime/claims.py"),
    ("group commit: execute_batch", "execute_batch (messaging/runtime/worker.py"),
    ("execute (handler transaction)", "execute (messaging/runtime/worker.py"),
    ("  pipeline: load (signature, validation)", "message_load (messaging/runtime/pipeline/load.py"),
    ("  pipeline: lease and the steps inside it", "step (messaging/runtime/pipeline/lease.py"),
    ("  handler", "on_bench_pinged (bench/benchapp/handlers.py"),
    ("  pipeline: transaction's succeed", "succeed (messaging/runtime/pipeline/transaction.py"),
    ("    breaker.record_success", "record_success (messaging/runtime/breaker.py"),
    ("journal.append (started + succeeded)", "append (messaging/runtime/journal.py"),
    ("BEGIN IMMEDIATE (waits for the write lock)", "DatabaseWrapper._start_transaction_under_autocommit"),
    ("COMMIT", "BaseDatabaseWrapper.commit (django/db/backends/base/base.py"),
    ("ORM: compiling SQL", "SQLCompiler.as_sql"),
    ("DEBUG: logging SQL (SELECT QUOTE(...))", "CursorDebugWrapper.debug_sql"),
    ("surplus wake-up: wake() at budget end", "wake (messaging/runtime/wakeup.py"),
]


class Spy:
    def __init__(self, executable: str, output: Path):
        self.executable, self.output = executable, output
        self.process: subprocess.Popen | None = None

    def attach(self, pid: int) -> None:
        command = [self.executable, "record", "--pid", str(pid), "--subprocesses", "--idle", "--nonblocking"]
        command += ["--rate", "200", "--format", "raw", "-o", str(self.output)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def summary(self) -> list[str]:
        """Call after the cluster stopped: py-spy then writes its file and exits."""
        self.process.wait(timeout=60)
        stacks = []
        for line in self.output.read_text().splitlines():
            frames, count = line.rsplit(" ", 1)
            stacks.append((frames.split(";"), int(count)))
        return summarize(stacks)


def summarize(stacks: list[tuple[list[str], int]]) -> list[str]:
    in_task = [(frames, count) for frames, count in stacks if any(f.startswith(IN_TASK) for f in frames)]
    total = sum(count for _, count in in_task)
    if not total:
        return ["py-spy: no samples inside run_due_deliveries"]
    shares = Counter()
    for frames, count in in_task:
        for label, prefix in STEPS:
            if any(frame.startswith(prefix) for frame in frames):
                shares[label] += count
    lines = [f"py-spy, (b): {total} samples (200/s, idle included) inside run_due_deliveries, all workers:"]
    lines += [f"  {shares[label] / total * 100:5.1f}%  {label}" for label, _ in STEPS]
    return lines
