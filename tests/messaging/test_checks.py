import pytest
from django.conf import settings
from django.test import override_settings

from messaging import Command
from messaging.processes.checks import check_commands_have_handlers, check_worker_timings
from messaging.runtime.registry import registry


class Unhandled(Command):
    key: str


def q_cluster(**changes):
    return override_settings(Q_CLUSTER={**settings.Q_CLUSTER, **changes})


def error_ids():
    return [error.id for error in check_worker_timings()]


def test_the_project_timings_pass():
    assert check_worker_timings() == []


@pytest.mark.parametrize(("timeout", "retry"), [(90, 90), (120, 90)])
def test_a_task_timeout_not_below_the_retry_is_an_error(timeout, retry):
    with q_cluster(timeout=timeout, retry=retry):
        (error,) = check_worker_timings()

    assert error.id == "messaging.E001"
    assert error.is_serious()
    assert f"timeout ({timeout}) must be set and below retry ({retry})" in error.msg


def test_a_missing_task_timeout_is_an_error():
    cluster = {key: value for key, value in settings.Q_CLUSTER.items() if key != "timeout"}

    with override_settings(Q_CLUSTER=cluster):
        assert error_ids() == ["messaging.E001"]


def test_a_task_timeout_shorter_than_a_drain_plus_the_slowest_handler_is_an_error():
    longest = max(h.timeout for h in registry.handlers.values())
    drain = settings.MESSAGING.get("drain_seconds", 5.0)

    with q_cluster(timeout=drain + longest, retry=90):
        assert error_ids() == ["messaging.E002"]
    with q_cluster(timeout=drain + longest + 1, retry=90):
        assert error_ids() == []


def test_a_longer_drain_is_taken_into_account():
    with override_settings(MESSAGING={**settings.MESSAGING, "drain_seconds": 60}):
        assert error_ids() == ["messaging.E002"]


def test_every_command_of_orders_and_vendors_has_a_handler():
    orphans = [w.msg for w in check_commands_have_handlers() if not w.msg.startswith("command tests.")]

    assert orphans == []


def test_a_command_without_a_handler_is_reported_at_start_up():
    warnings = {w.msg: w.id for w in check_commands_have_handlers()}

    assert warnings["command tests.Unhandled has no handler: sending it will fail"] == "messaging.W001"
    assert "command messaging.CommandOutcome has no handler: sending it will fail" not in warnings
