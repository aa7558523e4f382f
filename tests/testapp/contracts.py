from pydantic import Field

from messaging import Command, Event


class Ping(Event):
    """Two subscribers record it."""

    key: str


class Flaky(Event):
    """Its handler fails on the first ``fail_times`` attempts, then succeeds."""

    key: str
    fail_times: int = Field(ge=0)


class Doomed(Event):
    """One subscriber always fails; its sibling succeeds."""

    key: str


class Slow(Event):
    """Its handler sleeps ``seconds`` on its first ``slow_times`` attempts."""

    key: str
    seconds: float = Field(gt=0)
    slow_times: int = 1


class Crashy(Event):
    """Its handler writes an effect, then on the first attempt writes its pid to ``pid_file`` and blocks."""

    key: str
    pid_file: str


class Rejected(Event):
    """Its handler raises a PermanentError."""

    key: str


class Positive(Event):
    number: int = Field(gt=0)


class Chain(Event):
    """Its handler publishes a Ping: correlation and causation must follow."""

    key: str


class DoWork(Command):
    """Returns a result, or fails permanently when ``fail`` is set."""

    key: str
    fail: bool = False


class Unserialisable(Command):
    """Its handler writes an effect, then returns a value JSON cannot hold."""

    key: str


class Noted(Event):
    """Its handler returns the model instance it wrote: an event's return value is ignored."""

    key: str


class LeaseProbe(Event):
    """Its handler records the lease expiries of the other running deliveries, as it sees them while it runs."""

    key: str


class Contended(Event):
    """Its handler fails ``fail_times`` times as a transaction that lost a race (SQLite's lock held too long)."""

    key: str
    fail_times: int = 1


class Locking(Event):
    """Its handler locks the ``Effect`` rows keyed ``rows``, in that order, and holds them ``hold`` seconds."""

    key: str
    rows: list[str]
    hold: float = 0.3
