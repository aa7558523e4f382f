"""dead_letters: the list (newest first, filtered), and one dead letter in full with --show."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command, load_command_class

import messaging
from messaging.models import Delivery, JournalEntry, Step
from tests.messaging.replay_helpers import dead_lettered, run_command
from tests.testapp.contracts import Ping, Positive, Rejected

pytestmark = pytest.mark.django_db


def test_the_list_is_newest_first_with_type_handler_attempts_and_error():
    dead_lettered(Positive(number=1))
    dead_lettered(Ping(key="p"))

    lines = run_command("dead_letters").splitlines()

    ids = list(Delivery.objects.order_by("-pk").values_list("pk", flat=True))
    assert [int(line.split()[0]) for line in lines[:-1]] == ids
    assert lines[0].endswith("tests.Ping -> tests.ping_b  x5  ConnectionError: vendor gateway timed out")
    assert lines[-1] == "3 dead letters."


def test_the_list_takes_the_replay_filters_and_a_limit():
    for number in range(1, 5):
        dead_lettered(Positive(number=number))
    dead_lettered(Ping(key="p"))

    lines = run_command("dead_letters", "--handler", "tests.positive", "--limit", "3").splitlines()

    assert len(lines) == 4 and all("tests.Positive -> tests.positive" in line for line in lines[:3])
    assert lines[-1] == "Showing the newest 3 of 4 dead letters; --limit N shows more."


def test_only_dead_letters_are_listed(run_deliveries):
    messaging.publish(Positive(number=1))
    run_deliveries()

    assert run_command("dead_letters") == "0 dead letters.\n"


def test_show_gives_the_error_the_traceback_the_payload_and_the_journal(run_deliveries):
    message_id = messaging.publish(Rejected(key="never"))
    run_deliveries()  # dead-lettered at once: a PermanentError
    delivery = Delivery.objects.get(message_id=message_id)

    text = run_command("dead_letters", "--show", str(delivery.pk))

    assert text.startswith(f"Dead letter {delivery.pk}: tests.Rejected -> tests.rejected\n")
    assert f"  message      {message_id} (event, published " in text
    assert "  attempts     1 of 1, dead since " in text
    assert "  error        never can never be handled\n" in text
    assert "    Traceback (most recent call last):\n" in text
    assert "    messaging.errors.PermanentError: never can never be handled\n" in text
    assert '      "key": "never"\n' in text
    journal = text.split("  journal\n")[1]
    assert [line.split()[3].rstrip(":") for line in journal.splitlines()[:4]] == [
        "published",
        "started",
        "failed",
        "dead_lettered",
    ]
    assert f"  replay: manage.py replay_messages --id {message_id} --handler tests.rejected\n" in text


def test_show_by_message_id_gives_each_of_its_dead_letters():
    message_id = dead_lettered(Ping(key="both"))

    text = run_command("dead_letters", "--show", str(message_id))

    assert text.count("Dead letter ") == 2
    assert "tests.Ping -> tests.ping_a" in text and "tests.Ping -> tests.ping_b" in text


@pytest.mark.parametrize(
    ("ident", "error"),
    [
        ("999999", "--show 999999: no such delivery"),
        (str(uuid.UUID(int=7)), f"--show {uuid.UUID(int=7)}: no such message"),
        ("dead-beef", "--show 'dead-beef' is neither a delivery id (a number) nor a message id (a UUID)"),
    ],
)
def test_show_of_something_unknown_fails_with_one_line(ident, error):
    with pytest.raises(CommandError) as failure:
        run_command("dead_letters", "--show", ident)

    assert str(failure.value) == error


def test_show_of_a_delivery_that_is_not_dead_says_so(run_deliveries):
    message_id = messaging.publish(Positive(number=3))
    run_deliveries()
    delivery = Delivery.objects.get(message_id=message_id)

    with pytest.raises(CommandError, match=rf"^--show {delivery.pk}: delivery {delivery.pk} is not a dead letter"):
        run_command("dead_letters", "--show", str(delivery.pk))
    with pytest.raises(CommandError, match=r"the message has no dead letter \(tests\.positive succeeded\)$"):
        run_command("dead_letters", "--show", str(message_id))


def test_bad_filters_fail_with_one_line_each():
    with pytest.raises(CommandError) as failure:
        run_command("dead_letters", "--context", "nowhere", "--since", "soon")

    assert len(str(failure.value).splitlines()) == 2
    assert str(failure.value).startswith("--context 'nowhere': unknown context")


def test_archive_takes_a_dead_letter_out_of_the_outbox_journaled_with_its_error(run_deliveries):
    message_id = messaging.publish(Rejected(key="refused"))
    run_deliveries()
    dead = Delivery.objects.get(message_id=message_id)

    out = run_command("dead_letters", "--archive", str(dead.pk))

    assert out == "Archived 1 dead letter.\n"
    assert not Delivery.objects.filter(pk=dead.pk).exists()
    (entry,) = JournalEntry.objects.filter(step=Step.ARCHIVED)
    assert entry.actor.startswith("cli:")
    assert "refused can never be handled" in entry.detail


def test_retrying_a_permanent_error_warns_that_it_fails_the_same_way(run_deliveries):
    message_id = messaging.publish(Rejected(key="refused"))
    run_deliveries()
    out, err = io.StringIO(), io.StringIO()

    call_command("dead_letters", "--retry", str(message_id), stdout=out, stderr=err)

    assert "1 of them failed with a permanent error" in err.getvalue()
    assert out.getvalue() == "Retried 1 dead letter.\n"


def test_replay_messages_says_that_force_repeats_side_effects():
    command = load_command_class("messaging", "replay_messages")
    text = " ".join(command.create_parser("manage.py", "replay_messages").format_help().split())
    assert "happens again unless the handler checks" in text
    assert "their side effects (an e-mail) happen again" in text
