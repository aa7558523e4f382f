"""The ordered steps, registering one, and the chain built from them for a context."""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from messaging.models import FaultSetting
from messaging.runtime import faults
from messaging.runtime.claims import Claim
from messaging.runtime.context import Causation, causation
from messaging.runtime.pipeline import breaker, fault_lab, handler, lease, load, outcome, time_limit, transaction
from messaging.runtime.pipeline.attempt import Attempt

Next = Callable[[Attempt], None]
Step = Callable[[Attempt, Next], None]

FAULT_LAB = "fault_lab"
BUILT_IN: tuple[tuple[str, Step], ...] = (
    ("breaker", breaker.step),
    ("outcome", outcome.step),
    ("load", load.step),
    ("lease", lease.step),
    (FAULT_LAB, fault_lab.step),
    ("transaction", transaction.step),
    ("time_limit", time_limit.step),
    ("handler", handler.step),
)
_steps: list[tuple[str, Step]] = list(BUILT_IN)


class PipelineError(ImproperlyConfigured):
    """A step registered wrongly: raised by ``register``, so at start-up, before any message runs."""


def names() -> list[str]:
    """The steps' names, outermost first (the fault lab's included, installed or not)."""
    return [name for name, _ in _steps]


def register(step: Step, *, before: str | None = None, after: str | None = None, name: str = "") -> Step:
    """Put ``step`` into every attempt's chain, just before or just after the step named; returns it.

    ``name`` (default: the step's module and qualified name) must be new; other steps may then be placed by it.
    """
    name = name or f"{step.__module__}.{step.__qualname__}"
    if (before is None) == (after is None):
        raise PipelineError(f"step {name}: say where it goes with exactly one of before= or after=")
    known = names()
    if name in known:
        raise PipelineError(f"a step named {name!r} is already in the pipeline; give this one another name=...")
    anchor = before if before is not None else after
    if anchor not in known:
        raise PipelineError(f"step {name}: no step named {anchor!r} to go next to; steps: {', '.join(known)}")
    _check_signature(step, name)
    _steps.insert(known.index(anchor) + (after is not None), (name, step))
    return step


def unregister(name: str) -> None:
    """Take a registered step out of the pipeline; the built-in steps stay."""
    if name in dict(BUILT_IN):
        raise PipelineError(f"{name!r} is one of the pipeline's own steps and cannot be taken out")
    if name not in names():
        raise PipelineError(f"no step named {name!r}; steps: {', '.join(names())}")
    _steps[:] = [(n, s) for n, s in _steps if n != name]


def _check_signature(step, name: str) -> None:
    if not callable(step):
        raise PipelineError(f"step {name} is not callable: a step is step(attempt, next)")
    try:
        inspect.signature(step).bind(None, None)
    except TypeError:
        raise PipelineError(f"step {name} does not take (attempt, next): {inspect.signature(step)}") from None
    except ValueError:
        pass  # no signature to read (a builtin): trust it


@dataclass(frozen=True)
class Chain:
    """The steps one attempt runs through, outermost first, composed once for a batch."""

    names: tuple[str, ...]
    fault: FaultSetting | None
    call: Next

    @property
    def runs_alone(self) -> bool:
        """It sleeps the fault lab's latency, which must not hold a group's transaction open."""
        return bool(faults.latency_seconds(self.fault))

    def run(
        self, claim: Claim, *, halted: set[str] | None = None, successes: list | None = None, grouped: bool = False
    ) -> Attempt:
        """Run one attempt of ``claim``; returns it, its ``outcome`` filled in."""
        attempt = Attempt(claim, set() if halted is None else halted, successes, fault=self.fault, grouped=grouped)
        delivery, row = claim.delivery, claim.delivery.message
        handling = Causation(
            row.correlation_id,
            str(row.id),
            actor=delivery.handler,
            attempt=delivery.attempts,
            caused_by=row.causation_id,
        )
        with causation(handling):
            self.call(attempt)
        return attempt


def chain_build(fault: FaultSetting | None = None) -> Chain:
    """The chain for a context with ``fault`` set in the fault lab, or none: then without the fault lab step."""
    steps = [(name, step) for name, step in _steps if name != FAULT_LAB or fault is not None]
    call = _end
    for _, step in reversed(steps):
        call = _link(step, call)
    return Chain(tuple(name for name, _ in steps), fault, call)


class Chains:
    """The chains of one batch, per context, from the fault lab read once (as the batch starts).

    ``claims``: the batch's, when their claim already saw that no fault is set (no need to read the lab).
    """

    def __init__(self, claims: list[Claim] = ()):
        self.lab = {} if claims and not any(claim.faults_set for claim in claims) else faults.snapshot()
        self._built: dict[str, Chain] = {}

    def __getitem__(self, context: str) -> Chain:
        chain = self._built.get(context)
        if chain is None:
            chain = self._built[context] = chain_build(self.lab.get(context))
        return chain


def _link(step: Step, rest: Next) -> Next:
    def call(attempt: Attempt) -> None:
        step(attempt, rest)

    return call


def _end(attempt: Attempt) -> None:
    pass
