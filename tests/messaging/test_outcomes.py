import uuid

import pytest

import messaging
from messaging.models import Delivery, DeliveryStatus, JournalEntry, Message, Step
from messaging.operations.actions import dead_letters_retry
from messaging.runtime import signing
from tests.testapp.contracts import DoWork, Ping
from tests.testapp.handlers import outcome_log, work_outcome
from tests.testapp.models import Effect

pytestmark = pytest.mark.django_db


def test_the_outcome_of_a_command_waiting_for_its_handler_is_pending():
    command_id = messaging.send(DoWork(key="k"))

    outcome = messaging.outcome(command_id)

    assert (outcome.status, outcome.attempts, outcome.finished) == (DeliveryStatus.PENDING, 0, False)


def test_the_outcome_of_a_handled_command_carries_its_result(run_deliveries):
    command_id = messaging.send(DoWork(key="k"))

    run_deliveries()

    outcome = messaging.outcome(str(command_id))
    assert (outcome.status, outcome.attempts, outcome.error, outcome.result) == ("succeeded", 1, "", {"done": "k"})
    assert outcome.finished


def test_the_outcome_of_a_dead_lettered_command_carries_its_error(run_deliveries):
    command_id = messaging.send(DoWork(key="k", fail=True))

    run_deliveries()

    outcome = messaging.outcome(command_id)
    assert (outcome.status, outcome.error, outcome.result, outcome.finished) == ("dead", "cannot do k", None, True)


def test_an_unknown_command_id_has_no_outcome():
    with pytest.raises(Delivery.DoesNotExist):
        messaging.outcome(uuid.uuid4())


def test_the_reply_handler_receives_the_outcome_of_a_successful_command(run_deliveries):
    command_id = messaging.send(DoWork(key="k"), reply_to=work_outcome)

    assert run_deliveries() == 2  # the command, then its outcome

    reply = Effect.objects.get(handler="work_outcome")
    assert reply.data == {
        "command_id": str(command_id),
        "command_type": "tests.DoWork",
        "status": "succeeded",
        "error": "",
        "result": {"done": "k"},
        "attempts": 1,
    }


def test_the_reply_handler_receives_the_outcome_of_a_dead_lettered_command(run_deliveries):
    command_id = messaging.send(DoWork(key="k", fail=True), reply_to="tests.work_outcome")

    assert run_deliveries() == 2

    reply = Effect.objects.get(handler="work_outcome", key=str(command_id))
    assert (reply.data["status"], reply.data["error"], reply.data["result"]) == ("failed", "cannot do k", None)


def test_an_outcome_is_correlated_with_its_command_and_caused_by_it(run_deliveries):
    command_id = messaging.send(DoWork(key="k"), reply_to=work_outcome)

    run_deliveries()

    command = Message.objects.get(pk=command_id)
    outcome = Message.objects.get(type="messaging.CommandOutcome")
    assert (outcome.correlation_id, outcome.causation_id) == (command.correlation_id, str(command.id))
    reply = Effect.objects.get(handler="work_outcome")
    assert (reply.correlation_id, reply.causation_id) == (command.correlation_id, str(outcome.id))


def test_a_command_without_reply_to_produces_no_outcome_message(run_deliveries):
    messaging.send(DoWork(key="k"))

    assert run_deliveries() == 1

    assert not Message.objects.filter(type="messaging.CommandOutcome").exists()


def test_a_dead_letter_retried_by_hand_that_succeeds_sends_a_second_newer_outcome(run_deliveries):
    command_id = messaging.send(DoWork(key="k"), reply_to=outcome_log)
    command = Message.objects.get(pk=command_id)
    command.type = "tests.Retired"  # the contract disappears in a deploy...
    command.signature = signing.sign(command)
    command.save()
    run_deliveries()
    command.type = "tests.DoWork"  # ... and comes back in the next one
    command.signature = signing.sign(command)
    command.save()

    dead_letters_retry(Delivery.objects.filter(message_id=command_id), actor="admin:ops")
    run_deliveries()

    replies = Effect.objects.filter(handler="outcome_log").order_by("id")
    assert [(r.data["status"], r.data["attempts"]) for r in replies] == [("failed", 1), ("succeeded", 1)]
    assert messaging.outcome(command_id).result == {"done": "k"}


def test_the_journal_has_a_command_succeed_before_its_outcome_is_sent(run_deliveries):
    command_id = messaging.send(DoWork(key="k"), reply_to=work_outcome)
    messaging.publish(Ping(key="same commit group"))  # its successes are written at the group's end

    run_deliveries()

    succeeded = JournalEntry.objects.get(message_id=command_id, step=Step.SUCCEEDED)
    outcome_sent = JournalEntry.objects.get(type="messaging.CommandOutcome", step=Step.SENT)
    assert succeeded.seq < outcome_sent.seq
    assert JournalEntry.objects.filter(type="tests.Ping", step=Step.SUCCEEDED).count() == 2
