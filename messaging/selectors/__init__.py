"""Messaging's read side: what contexts and the dashboard may read of the outbox, the journal and the registry.

    selectors.conversation(correlation_id=str(order.pk))    # the causation tree of one conversation
    selectors.command_outcome(command_id=vendor.command_id)  # where a command stands, None once purged

Keyword-only functions, one module per concern: ``conversations`` (a correlation's tree, timeline and
steps), ``messages`` (one message's ledger, a command's outcome, dead letters), ``journal`` (the tail up to
its horizon, recent steps), ``registry`` (contexts, handlers, message types), ``numbers`` (counts, queue
depth, breakers, paused handlers, processes, the status snapshot), ``health`` (readiness: each dependency
and limit, checked) and ``history`` (stored messages read back as contracts, and the types kept for it).
Rows come back as they are stored where a page shows them; compare them with the words of
``messaging.vocabulary``, re-exported here. Nothing here writes, but the probe key readiness keeps in the cache.
"""

from messaging.operations.dead_letters import DeadLetterFilter
from messaging.selectors.conversations import (
    Conversation,
    DeliveryNode,
    MessageNode,
    conversation,
    conversation_timeline,
    conversations_deliveries,
    conversations_steps,
)
from messaging.selectors.health import Health, readiness
from messaging.selectors.history import StoredMessageError, retain, retained, stored_messages
from messaging.selectors.ids import MIN_PREFIX, IdMatches, ids_matching
from messaging.selectors.journal import (
    attempt_durations,
    first_seq_since,
    journal_after,
    journal_last_seq,
    journal_newest,
    journal_of_correlation,
    sent_entries,
)
from messaging.selectors.messages import (
    DeadLetters,
    MessageLedger,
    command_outcome,
    commands_retried,
    dead_letters,
    delivery,
    message_exists,
    message_ledger,
)
from messaging.selectors.numbers import (
    LIST_COUNT_CAP,
    QUEUE_COUNT_CAP,
    BreakerRow,
    CappedCount,
    PausedRow,
    breakers,
    capped_count,
    handler_has_run,
    messages_per_second,
    messages_written_since,
    paused_handlers,
    processes,
    queue_depth,
    status_snapshot,
    stored_breakers,
    watchdog_state,
)
from messaging.selectors.registry import (
    contexts,
    handler_context,
    handler_named,
    handlers,
    handlers_of,
    message_types,
)
from messaging.vocabulary import (
    WAITING_STATUSES,
    BreakerState,
    DeliveryStatus,
    Kind,
    ProcessKind,
    ProcessState,
    Step,
)

__all__ = [
    "LIST_COUNT_CAP",
    "MIN_PREFIX",
    "QUEUE_COUNT_CAP",
    "WAITING_STATUSES",
    "BreakerRow",
    "BreakerState",
    "CappedCount",
    "Conversation",
    "DeadLetterFilter",
    "DeadLetters",
    "DeliveryNode",
    "DeliveryStatus",
    "Health",
    "IdMatches",
    "Kind",
    "MessageLedger",
    "MessageNode",
    "PausedRow",
    "ProcessKind",
    "ProcessState",
    "Step",
    "StoredMessageError",
    "attempt_durations",
    "breakers",
    "capped_count",
    "command_outcome",
    "commands_retried",
    "contexts",
    "conversation",
    "conversation_timeline",
    "conversations_deliveries",
    "conversations_steps",
    "dead_letters",
    "delivery",
    "first_seq_since",
    "handler_context",
    "handler_has_run",
    "handler_named",
    "handlers",
    "handlers_of",
    "ids_matching",
    "journal_after",
    "journal_last_seq",
    "journal_newest",
    "journal_of_correlation",
    "message_exists",
    "message_ledger",
    "message_types",
    "messages_per_second",
    "messages_written_since",
    "paused_handlers",
    "processes",
    "queue_depth",
    "readiness",
    "retain",
    "retained",
    "sent_entries",
    "status_snapshot",
    "stored_breakers",
    "stored_messages",
    "watchdog_state",
]
