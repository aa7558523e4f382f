"""The registry answers which contexts exist, once, for every part that lists them."""

from messaging.runtime.registry import registry


def test_contexts_are_every_context_with_a_message_type_or_a_handler_once_and_sorted():
    contexts = registry.contexts()

    assert contexts == ["messaging", "orders", "tests", "vendors"]


def test_handler_contexts_leave_out_a_context_that_only_defines_messages():
    # messaging defines CommandOutcome but runs no handler of its own: no fault or breaker is about it
    assert registry.handler_contexts() == ["orders", "tests", "vendors"]
