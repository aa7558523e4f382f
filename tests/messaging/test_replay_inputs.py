"""replay_messages refuses bad input with one clear line and enqueues nothing; it asks before a large replay."""

import io
import os
import subprocess
import sys
import uuid

import pytest
from django.core.management import CommandError, call_command

import messaging
from messaging.models import Delivery, DeliveryStatus
from tests import processes
from tests.messaging.replay_helpers import dead_lettered, replayed_entries, run_command
from tests.testapp.contracts import Ping, Positive

pytestmark = pytest.mark.django_db

UNKNOWN_ID = str(uuid.UUID(int=1))


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--id", UNKNOWN_ID], f"--id {UNKNOWN_ID}: no such message"),
        (["--id", "8c4a0f6e-nope"], "--id '8c4a0f6e-nope' is not a message id (a UUID like 8c4a0f6e-...)"),
        (["--type", "tests.Vanished"], "--type 'tests.Vanished': unknown type"),
        (["--handler", "tests.nobody"], "--handler 'tests.nobody': unknown handler (not in the registry)"),
        (["--handler", "tests.positiv"], "--handler 'tests.positiv': unknown handler (did you mean tests.positive?)"),
        (["--context", "nowhere"], "--context 'nowhere': unknown context"),
        (["--status", "deadish"], "--status 'deadish': unknown delivery status (known: dead, failed, pending, "),
        (["--kind", "query"], "--kind 'query': unknown message kind (known: command, event)"),
        (["--since", "1h", "--until", "2h"], "--since 1h is not before --until 2h: nothing could match"),
        (["--since", "2999-01-01"], "--since 2999-01-01 is in the future (2999-01-01T00:00:00+00:00)"),
        (["--since", "yesterday"], "--since 'yesterday' is neither a duration like 2h, 30m, 7d nor an ISO 8601 date"),
        (["--status", "dead", "--limit", "-1"], "--limit must be a positive number of deliveries (got -1)"),
        (["--status", "dead", "--threshold", "-5"], "--threshold must be 0 or more (got -5)"),
        (["--status", "dead", "--batch-size", "0"], "--batch-size must be at least 1 (got 0)"),
        ([], "say what to replay: give --id, --type, --kind, --status, --handler, --context, --correlation-id"),
        (
            ["--to-handler", "tests.ping_a", "--handler", "tests.ping_b"],
            "--to-handler cannot be combined with --handler: it delivers to tests.ping_a only, for the first time",
        ),
        (["--to-handler", "tests.ping_a", "--force"], "--to-handler cannot be combined with --force"),
        (["--to-handler", "tests.ping_a", "--status", "dead"], "--to-handler cannot be combined with --status"),
        (["--to-handler", "tests.nobody"], "--to-handler 'tests.nobody': unknown handler"),
        (
            ["--to-handler", "tests.do_work"],
            "--to-handler tests.do_work is the handler of command tests.DoWork; catch-up is for event subscribers",
        ),
        (["--to-handler", "tests.work_outcome"], "--to-handler tests.work_outcome is a reply handler"),
        (
            ["--to-handler", "tests.ping_a", "--type", "tests.Positive"],
            "--to-handler tests.ping_a subscribes to tests.Ping only, not to tests.Positive",
        ),
    ],
)
def test_bad_input_fails_with_one_clear_line_and_enqueues_nothing(args, error, django_capture_on_commit_callbacks):
    dead_lettered(Positive(number=1))

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(CommandError) as failure:
        call_command("replay_messages", *args, "--yes", stdout=io.StringIO(), stderr=io.StringIO())

    assert str(failure.value).startswith(error)
    assert "\n" not in str(failure.value)
    assert not callbacks
    assert not replayed_entries()
    assert Delivery.objects.get().status == DeliveryStatus.DEAD


def test_several_mistakes_are_reported_together_one_line_each():
    with pytest.raises(CommandError) as failure:
        call_command("replay_messages", "--type", "tests.Vanished", "--limit", "0", stdout=io.StringIO())

    assert str(failure.value).splitlines() == [
        "--type 'tests.Vanished': unknown type (not in the registry)",
        "--limit must be a positive number of deliveries (got 0)",
    ]


def test_bad_input_exits_non_zero_from_the_command_line(transactional_db):
    dead_lettered(Positive(number=1))

    result = subprocess.run(
        [sys.executable, "manage.py", "replay_messages", "--id", "not-a-uuid", "--yes"],
        cwd=processes.ROOT,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == ("CommandError: --id 'not-a-uuid' is not a message id (a UUID like 8c4a0f6e-...)")
    assert Delivery.objects.get().status == DeliveryStatus.DEAD


def _child_env() -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": processes.test_database_url()}


# --- Confirmation -----------------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    """Stands for stdin on a terminal, with the operator's answers already typed."""

    def isatty(self):
        return True


@pytest.fixture
def three_dead_pings():
    for key in ("a", "b", "c"):
        dead_lettered(Ping(key=key))  # two deliveries each: six to replay


def test_a_replay_over_the_threshold_asks_first_and_no_means_nothing_happens(three_dead_pings, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))

    out = run_command("replay_messages", "--status", "dead", "--threshold", "5")

    assert out == "Replay 6 deliveries (6 matched)? [y/N] Nothing replayed.\n"
    assert not replayed_entries()


def test_a_replay_over_the_threshold_runs_when_the_operator_says_yes(three_dead_pings, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))

    out = run_command("replay_messages", "--status", "dead", "--threshold", "5")

    assert out.endswith("[y/N] Matched 6, enqueued 6, skipped 0, failed 0.\n")
    assert len(replayed_entries()) == 6


def test_without_a_terminal_a_large_replay_is_a_dry_run_and_says_so(three_dead_pings, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # piped: nobody to ask

    out = run_command("replay_messages", "--status", "dead", "--threshold", "5")

    lines = out.splitlines()
    assert lines[0] == (
        "6 deliveries to replay, more than 5, and stdin is not a terminal: dry run only; add --yes to replay them."
    )
    assert len([line for line in lines if line.startswith("replay ")]) == 6
    assert lines[-1] == "Dry run: matched 6, would enqueue 6, would skip 0, would fail 0. Nothing was changed."
    assert not replayed_entries()


def test_yes_replays_without_asking(three_dead_pings, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal(""))  # an unanswered question would read "" and refuse

    out = run_command("replay_messages", "--status", "dead", "--threshold", "5", "--yes")

    assert out == "Matched 6, enqueued 6, skipped 0, failed 0.\n"


def test_a_replay_within_the_threshold_does_not_ask(three_dead_pings, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    out = run_command("replay_messages", "--status", "dead")  # 6, under the default threshold of 100

    assert out == "Matched 6, enqueued 6, skipped 0, failed 0.\n"


def test_the_threshold_counts_what_would_run_not_what_was_skipped(run_deliveries, monkeypatch):
    for number in range(1, 4):
        messaging.publish(Positive(number=number))
    run_deliveries()
    dead_lettered(Positive(number=4))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    out = run_command("replay_messages", "--type", "tests.Positive", "--threshold", "1")

    assert out == "Matched 4, enqueued 1, skipped 3, failed 0.\n"


def test_help_names_every_option_and_shows_examples():
    result = subprocess.run(
        [sys.executable, "manage.py", "replay_messages", "--help"],
        cwd=processes.ROOT,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    options = "--id --type --kind --status --handler --context --correlation-id --since --until --limit"
    for option in (*options.split(), "--dry-run", "--force", "--to-handler", "--yes", "--threshold"):
        assert f"{option} " in result.stdout
    assert "  manage.py replay_messages --status dead --dry-run\n" in result.stdout


def test_on_a_terminal_a_progress_bar_is_drawn_on_stderr(three_dead_pings):
    out, err = io.StringIO(), Terminal()

    call_command("replay_messages", "--status", "dead", "--batch-size", "4", stdout=out, stderr=err)

    drawn = err.getvalue()
    assert "\r[####################----------] 4/6 enqueued 4, skipped 0, failed 0\x1b[K" in drawn
    assert drawn.endswith("\r[##############################] 6/6 enqueued 6, skipped 0, failed 0\x1b[K\n")
    assert out.getvalue() == "Matched 6, enqueued 6, skipped 0, failed 0.\n"  # the summary, not the bar


def test_without_a_terminal_no_progress_bar_is_drawn(three_dead_pings):
    err = io.StringIO()

    call_command("replay_messages", "--status", "dead", stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == ""
