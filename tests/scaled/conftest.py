"""``make run-scaled`` as a subprocess, on ports and a var dir of its own; its servers stopped afterwards."""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import ROOT, answers, free_port, wait_until

PASSWORD = "scaled-admin-password"
# What this pytest process carries that a person typing ``make run-scaled`` would not have.
NOT_INHERITED = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
)


@dataclass
class RunScaled:
    make: subprocess.Popen
    env: dict[str, str]
    log: Path
    web_ports: tuple[int, int]
    pg_port: int
    redis_port: int

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/marketplace"

    def url(self, web: int) -> str:
        return f"http://127.0.0.1:{self.web_ports[web]}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def processes(self) -> set[int]:
        """Every process make started, however deep: honcho, daphnes, supervisors, clusters, workers, sweepers.
        PostgreSQL and Redis detach themselves (their parent is init), so they are not among them."""
        return descendants(self.make.pid) | {self.make.pid}

    def stop_servers(self) -> None:
        subprocess.run(["make", "--no-print-directory", "stop-scaled"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True, timeout=60)  # fmt: skip


def descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids still running (a zombie has stopped: it only waits for its parent to read its status)."""
    running = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                running.add(pid)
    return running


@pytest.fixture
def run_scaled(tmp_path):
    """``make run-scaled`` running, both web ports answering; on the way out every process and server stopped."""
    var = Path(tempfile.mkdtemp(prefix="marketplace-scaled-"))
    var.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data dir inside
    web_ports = (free_port(), free_port())
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env.update(
        MARKETPLACE_VAR_DIR=str(var),
        SCALED_WEB_PORTS=f"{web_ports[0]} {web_ports[1]}",
        SCALED_PG_PORT=str(free_port()),
        SCALED_REDIS_PORT=str(free_port()),
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    log = tmp_path / "run-scaled.log"
    make = subprocess.Popen(["make", "--no-print-directory", "run-scaled"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    scaled = RunScaled(make, env, log, web_ports, int(env["SCALED_PG_PORT"]), int(env["SCALED_REDIS_PORT"]))
    try:
        wait_until(lambda: all(answers(f"{scaled.url(web)}/admin/login/") for web in (0, 1)) or make.poll() is not None,
                   timeout=150, interval=0.5, message="both web processes of make run-scaled")  # fmt: skip
        assert make.poll() is None, f"make run-scaled exited with {make.returncode}:\n{scaled.output()[-5000:]}"
        yield scaled
    finally:
        stop_everything(scaled)
        print(f"--- make run-scaled ---\n{scaled.output()[-5000:]}")
        shutil.rmtree(var, ignore_errors=True)


def stop_everything(scaled: RunScaled) -> None:
    """What a failed test leaves behind: processes (SIGTERM, then SIGKILL), then the servers."""
    pids = scaled.processes()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(scaled.make.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in alive(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        scaled.make.wait(10)
    scaled.stop_servers()
