"""The message being handled (or the request being served), per task or thread.

Messages sent or published while handling another inherit its correlation id
and name it as their cause; a web request starts a new correlation.
"""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Causation:
    correlation_id: str
    causation_id: str = ""  # the id of the message being handled, if any
    actor: str = ""
    attempt: int = 0  # of the delivery being handled, counting from 1
    caused_by: str = ""  # the causation id of the message being handled: what it was written in reaction to


_current: ContextVar[Causation | None] = ContextVar("messaging_causation", default=None)


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def current() -> Causation | None:
    return _current.get()


@contextmanager
def causation(value: Causation):
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


@contextmanager
def correlated(correlation_id: str, *, actor: str = ""):
    """Run with ``correlation_id`` (e.g. an order's id, so its whole conversation shares one)."""
    active = _current.get()
    with causation(
        Causation(
            correlation_id=str(correlation_id),
            causation_id=active.causation_id if active else "",
            actor=actor or (active.actor if active else ""),
            attempt=active.attempt if active else 0,
        )
    ) as value:
        yield value


def for_new_message() -> Causation:
    """Correlation and causation for a message about to be written."""
    return _current.get() or Causation(correlation_id=new_correlation_id())
