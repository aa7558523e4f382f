"""messaging_status --check: one line per limit passed and exit 1, or "ok" and exit 0, for cron and monitoring."""

import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

import messaging
from messaging.models import Delivery, ProcessHeartbeat, ProcessKind, ProcessState
from messaging.processes import watchdog
from messaging.processes.heartbeat import Heartbeat
from messaging.runtime import clock
from tests import processes
from tests.messaging.replay_helpers import dead_lettered
from tests.processes import ROOT, wait_until
from tests.testapp.contracts import Ping, Positive


def check(*args: str) -> tuple[int, list[str]]:
    """``messaging_status --check`` in this process: its exit status and its lines."""
    out = io.StringIO()
    try:
        call_command("messaging_status", "--check", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exited:
        return exited.code, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``manage.py`` as cron runs it: a process of its own on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": processes.test_database_url(),
        **(env or {}),
    }
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def beating(kind: str, *, ago: float = 0) -> None:
    """A heartbeat of a running process of ``kind``, as the process writes it, ``ago`` seconds old."""
    beat = Heartbeat(kind)
    beat.beat(ProcessState.RUNNING, workers=2 if kind == ProcessKind.CLUSTER else 0)
    ProcessHeartbeat.objects.filter(pk=beat.id).update(beat_at=timezone.now() - timedelta(seconds=ago))


def overdue(seconds: float) -> int:
    """A published delivery due ``seconds`` ago, still waiting; its pk."""
    waiting = messaging.publish(Positive(number=1))
    Delivery.objects.filter(message_id=waiting).update(available_at=timezone.now() - timedelta(seconds=seconds))
    return Delivery.objects.get(message_id=waiting).pk


def test_a_healthy_system_says_ok_and_nothing_else(db):
    beating(ProcessKind.SWEEPER)
    beating(ProcessKind.CLUSTER)
    overdue(2)  # due, and waiting well within the limit

    assert check() == (0, ["ok"])


def test_each_limit_passed_is_one_line_and_the_exit_status_is_1(db):
    late = overdue(600)
    dead_lettered(Ping(key="lost"))  # one dead letter for each of its two subscribers
    watchdog.stall_check(clock.now(), actor="sweeper")  # due work that nothing runs: no cluster

    status, lines = check()

    assert status == 1
    assert lines[0] == "no sweeper running: none has run here"
    assert re.fullmatch(rf"oldest due delivery waited 60\ds > 300s \(delivery {late}, tests.positive\)", lines[1])
    assert lines[2] == "dead letters 2 > 0"
    assert lines[3].startswith("watchdog: due work stalled for 0s: deliveries due for over 8s")
    assert lines[4] == "no live worker cluster (none beat in the last 5s)"
    assert len(lines) == 5


def test_each_limit_can_be_set_for_one_run(db):
    beating(ProcessKind.SWEEPER, ago=90)
    overdue(600)
    dead_lettered(Ping(key="lost"))

    status, lines = check()
    assert status == 1
    assert lines[0] == "no sweeper seen for 90s > 60s"
    assert lines[1].startswith("oldest due delivery waited 60")
    assert lines[2:] == ["dead letters 2 > 0", "no live worker cluster (none beat in the last 5s)"]
    loosened = ["--max-sweeper-silence", "120", "--max-oldest-due", "900", "--max-dead-letters", "2"]
    assert check(*loosened, "--min-clusters", "0") == (0, ["ok"])
    assert check(*loosened, "--min-clusters", "2")[1] == ["no live worker cluster (none beat in the last 5s)"]


def test_the_limits_are_the_ones_readyz_applies(client, transactional_db, settings, wakeups_purged):
    beating(ProcessKind.SWEEPER, ago=20)
    beating(ProcessKind.CLUSTER)
    overdue(30)
    settings.READY_SWEEPER_SEEN_SECONDS = 10
    settings.READY_OLDEST_DUE_SECONDS = 25

    status, lines = check()
    readyz = client.get("/readyz").json()["checks"]

    assert status == 1
    assert lines[0] == "no sweeper seen for 20s > 10s"
    assert lines[1].startswith("oldest due delivery waited 3") and " > 25s (delivery " in lines[1]
    assert [readyz["sweeper"]["detail"], readyz["oldest_due"]["detail"]] == lines[:2]


def test_json_says_each_check_with_what_it_saw_and_its_limit(db):
    beating(ProcessKind.SWEEPER)

    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("messaging_status", "--check", "--json", stdout=out)

    assert exited.value.code == 1
    report = json.loads(out.getvalue())
    assert report["status"] == "fail"
    assert list(report["checks"]) == ["database", "sweeper", "oldest_due", "dead_letters", "watchdog", "clusters",
                                      "cache"]  # fmt: skip
    assert report["checks"]["clusters"] == {
        "status": "fail",
        "observed": 0,
        "threshold": 1,
        "unit": "",
        "detail": "no live worker cluster (none beat in the last 5s)",
    }
    assert report["checks"]["sweeper"]["status"] == "ok"
    assert report["checks"]["sweeper"]["threshold"] == 60


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--max-oldest-due", "-1", "'-1': give a number of seconds, 0 or more"),
        ("--max-oldest-due", "soon", "'soon' is not a number of seconds"),
        ("--max-sweeper-silence", "inf", "'inf': give a number of seconds, 0 or more"),
        ("--max-sweeper-silence", "nan", "'nan': give a number of seconds, 0 or more"),
        ("--max-dead-letters", "2.5", "'2.5' is not a whole number"),
        ("--min-clusters", "-1", "'-1': give a whole number, 0 or more"),
    ],
)
def test_a_limit_that_is_not_one_is_refused(db, option, value, says):
    with pytest.raises(CommandError, match=re.escape(f"argument {option}: {says}")):
        call_command("messaging_status", "--check", option, value)


def test_a_limit_without_check_is_refused(db):
    with pytest.raises(CommandError, match="--max-dead-letters: only with --check"):
        call_command("messaging_status", "--max-dead-letters", "3")


def test_cron_sees_exit_1_and_the_lines_on_stdout_alone(transactional_db):
    result = manage("messaging_status", "--check")

    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        "no sweeper running: none has run here\nno live worker cluster (none beat in the last 5s)\n"
    )
    assert result.stderr == ""


def test_cron_sees_exit_2_and_why_for_a_bad_limit(transactional_db):
    result = manage("messaging_status", "--check", "--max-oldest-due", "-5")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "error: argument --max-oldest-due: '-5': give a number of seconds, 0 or more" in result.stderr


def test_cron_sees_exit_1_when_the_database_is_down(transactional_db, tmp_path):
    down = f"sqlite:///{tmp_path / 'no-such-directory' / 'db.sqlite3'}"
    if processes.test_database_url().startswith("postgres"):
        down = "postgres://postgres@127.0.0.1:9/marketplace"  # the discard port: nothing listens there

    result = manage("messaging_status", "--check", env={"DATABASE_URL": down})

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("database unreachable: OperationalError: ")
    assert lines[1] == "sweeper: not read, the database does not answer"


@pytest.mark.cluster
def test_cron_sees_ok_with_a_sweeper_and_a_cluster_running(qcluster, sweeper):
    wait_until(lambda: manage("messaging_status", "--check").returncode == 0, timeout=20, message="--check ok")

    result = manage("messaging_status", "--check")

    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")
