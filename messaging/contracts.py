"""Base classes for the messages contexts exchange.

A context declares its public messages in its own ``contracts.py``::

    class OrderPaid(Event):
        order_id: UUID

The stable name defaults to ``<context>.<ClassName>`` (``orders.OrderPaid``),
where the context is the top-level package; set ``name`` to keep it stable
across a rename and bump ``version`` when the payload changes incompatibly.
Payloads are frozen pydantic models: validated on construction, JSON only.
"""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from messaging.runtime import registry

Kind = Literal["command", "event"]
RESERVED = {"name", "kind", "version", "context"}  # class attributes every message has


class Contract(BaseModel):
    """A message's payload and identity as code: what a context declares, sends and receives.

    (The stored row is ``messaging.models.Message``; this is the typed value it was written from.)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    kind: ClassVar[Kind]
    name: ClassVar[str]
    version: ClassVar[int] = 1
    context: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__module__ == __name__:
            return  # the abstract bases below
        if clash := RESERVED & set(cls.model_fields):
            raise TypeError(
                f"{cls.__qualname__}: field(s) {sorted(clash)} would hide the message's own "
                f"{', '.join(sorted(RESERVED))}; rename them (e.g. product_name)"
            )
        cls.context = cls.__module__.split(".")[0]
        if "name" not in cls.__dict__:
            cls.name = f"{cls.context}.{cls.__name__}"
        registry.register_message(cls)

    def payload(self) -> dict:
        return self.model_dump(mode="json")


class Command(Contract):
    """An instruction to exactly one handler; the sender wants an outcome."""

    kind: ClassVar[Kind] = "command"


class Event(Contract):
    """A fact, named in the past tense, broadcast to every subscriber."""

    kind: ClassVar[Kind] = "event"
