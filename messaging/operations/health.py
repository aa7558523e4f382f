"""Whether messaging can work here and keeps up: what /readyz and ``messaging_status --check`` answer.

A ``Check`` says in one line what it saw against its limit; the checks that need one dependency (the
database and what is read from it, the cache, a Redis) form a ``Dependency``, asked in order. ``Limits``
defines every limit once, for both doors. The checks themselves are in ``health_checks``.

A command asks its dependencies one after the other (``checked``). A web process's probe must answer in
time whatever hangs, so it asks each dependency in a thread of its own and waits ``seconds`` at most
(``answered_within``): a dependency that has not answered by then fails its checks.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from time import monotonic, perf_counter

from django import db
from django.conf import settings

ANSWER_SECONDS = 1.0  # a dependency answers within this, or fails its check
WAITING_PER_DEPENDENCY = 4  # threads left waiting on one dependency that does not answer, at most


@dataclass(frozen=True)
class Limits:
    """What healthy means, defined once for /readyz and ``messaging_status --check``."""

    sweeper_silence: float  # seconds since a sweeper last beat (READY_SWEEPER_SEEN_SECONDS)
    oldest_due: float  # seconds the oldest delivery that may run has waited (READY_OLDEST_DUE_SECONDS)
    dead_letters: int = 0  # dead letters waiting for an operator (monitoring only)
    clusters: int = 1  # live worker clusters, at least (monitoring only)


def limits(**overrides) -> Limits:
    """The configured limits, less any given here (``None`` keeps the configured one)."""
    configured = Limits(
        sweeper_silence=float(getattr(settings, "READY_SWEEPER_SEEN_SECONDS", 60)),
        oldest_due=float(getattr(settings, "READY_OLDEST_DUE_SECONDS", 300)),
    )
    return replace(configured, **{name: value for name, value in overrides.items() if value is not None})


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # one line: what was seen or, failing, why
    observed: float | int | None = None
    threshold: float | int | None = None
    unit: str = ""

    def as_json(self) -> dict:
        status = "ok" if self.ok else "fail"
        return {"status": status, "observed": self.observed, "threshold": self.threshold, "unit": self.unit,
                "detail": self.detail}  # fmt: skip


@dataclass(frozen=True)
class Health:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def breaches(self) -> list[str]:
        return [check.detail for check in self.checks if not check.ok]

    def as_json(self) -> dict:
        return {"status": "ok" if self.ok else "fail", "checks": {c.name: c.as_json() for c in self.checks}}


@dataclass(frozen=True)
class Dependency:
    """The checks that need one dependency, asked in order by ``run``."""

    name: str
    checks: tuple[str, ...]  # the names of the checks ``run`` answers
    run: Callable[[], list[Check]]

    def answer(self) -> list[Check]:
        try:
            return self.run()
        except Exception as error:  # a dependency that fails is the answer, not a crash
            return self.unanswered(one_line(error))

    def unanswered(self, why: str) -> list[Check]:
        return [Check(name, False, f"{name}: {why}") for name in self.checks]


def checked(dependencies: list[Dependency]) -> Health:
    """Each dependency's checks, one after the other, in this thread."""
    return Health(tuple(check for dependency in dependencies for check in dependency.answer()))


_waiting: dict[str, threading.BoundedSemaphore] = {}


def answered_within(dependencies: list[Dependency], seconds: float) -> Health:
    """Each dependency asked in a thread of its own, all waited for ``seconds`` at most.

    A thread that has not answered is left to finish: a daemon, so it never holds up the process's exit,
    and at most ``WAITING_PER_DEPENDENCY`` per dependency, so one that hangs is not asked again, and fails
    at once, until one of them returns.
    """
    answers: dict[str, list[Check]] = {}
    asked, threads = set(), []
    for dependency in dependencies:
        slots = _waiting.setdefault(dependency.name, threading.BoundedSemaphore(WAITING_PER_DEPENDENCY))
        if slots.acquire(blocking=False):
            thread = threading.Thread(target=_answer, args=(dependency, slots, answers), daemon=True)
            thread.start()
            asked.add(dependency.name)
            threads.append(thread)
    deadline = monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - monotonic()))
    checks = []
    for dependency in dependencies:
        if (answer := answers.get(dependency.name)) is not None:
            checks += answer
        elif dependency.name in asked:
            checks += dependency.unanswered(f"no answer within {seconds:g}s")
        else:
            checks += dependency.unanswered(f"not asked: {WAITING_PER_DEPENDENCY} earlier probes still wait for it")
    return Health(tuple(checks))


def _answer(dependency: Dependency, slots: threading.BoundedSemaphore, answers: dict) -> None:
    try:
        answers[dependency.name] = dependency.answer()
    finally:
        db.connections.close_all()  # this thread's own: back to the pool, or closed
        slots.release()


def answered_in(name: str, started: float) -> Check:
    """A dependency that answered, by when: ``started`` is the ``perf_counter()`` it was asked at."""
    took = round((perf_counter() - started) * 1000, 1)
    limit = round(ANSWER_SECONDS * 1000)
    if took > limit:
        return Check(name, False, f"{name} answered in {took:.0f} ms > {limit} ms", took, limit, "ms")
    return Check(name, True, f"{name} answered in {took:g} ms", took, limit, "ms")


def one_line(error: Exception) -> str:
    text = " ".join(str(error).split()) or "(no message)"
    return f"{type(error).__name__}: {text[:300]}"
