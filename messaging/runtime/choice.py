"""Which due deliveries a claim takes: the rules of its moment, and two ways to choose under them.

The rules: paused handlers wait; a context whose breaker is open waits, but
for one probe once its cool-down is over; a context the fault lab slows down
gives one delivery to a batch, and no more running at once than its share of
the workers; a backlog is shared between workers rather than one taking it all.

``choose_reading`` reads candidates without a lock and leaves races to the
lease's compare-and-set (SQLite, one writer at a time). ``choose_locking``
locks rows as it reads them, ``SKIP LOCKED``, so that claims at the same moment
choose disjoint rows (PostgreSQL); a slow context's fault-lab row and an open
breaker's row are held the same way while its share is counted or its probe
taken. No claim ever waits for another's lock.
"""

from math import ceil

from django.db.models import Count

from messaging.models import (
    WAITING_STATUSES,
    BreakerState,
    CircuitBreaker,
    Delivery,
    DeliveryStatus,
    FaultSetting,
    HandlerState,
)
from messaging.runtime import breaker, faults, wakeup


def choose_reading(now, limit: int) -> "Choice":
    choice = Choice(now)
    choice.choose_reading(limit)
    return choice


def choose_locking(now, limit: int, *, ruled_only: bool = False) -> "Choice":
    """Call in the transaction that leases the rows chosen: they stay locked until it ends.

    ``ruled_only``: only among the contexts a rule holds back (a breaker not closed, a slow context), those
    that the one-statement claim (``claim_statement``) leaves to this module.
    """
    choice = Choice(now, ruled_only=ruled_only)
    choice.choose_locking(limit)
    return choice


class Choice:
    """The rules of one claim's moment, read once, and the deliveries chosen under them."""

    def __init__(self, now, *, ruled_only: bool = False):
        self.now = now
        self.paused = set(HandlerState.objects.filter(paused=True).values_list("handler", flat=True))
        self.breakers = breaker.states()
        self.slow = _slow_context_room(faults.snapshot())
        self.ruled = {c for c, b in self.breakers.items() if b.state != BreakerState.CLOSED} | set(self.slow)
        self.ruled_only = ruled_only
        self.blocked = {context for context, b in self.breakers.items() if b.blocks(now)}
        self.blocked |= {context for context, room in self.slow.items() if room <= 0}
        self.chosen: list[int] = []
        self.locked: dict[int, Delivery] = {}  # locking: the rows chosen, read whole with their messages
        self.probing: set[str] = set()
        self.settled: set[str] = set()  # contexts of which this batch takes no more (slow, or probing)

    def due(self):
        due = (
            Delivery.objects.filter(status__in=WAITING_STATUSES, available_at__lte=self.now)
            .exclude(handler__in=self.paused)
            .exclude(context__in=self.blocked)
            .order_by("available_at", "id")
        )
        return due.filter(context__in=self.ruled) if self.ruled_only else due

    def choose_reading(self, limit: int) -> None:
        """Choose among candidates read without a lock (the lease's compare-and-set settles races)."""
        workers = wakeup.worker_count()
        candidates = list(self.due().values_list("id", "context")[: limit * workers])
        # Share a backlog between workers rather than one worker taking it all.
        take = min(limit, ceil(len(candidates) / workers))
        for pk, context in candidates:
            if len(self.chosen) == take:
                break
            self.offer(pk, context)

    def choose_locking(self, limit: int) -> None:
        """Choose among rows locked as they are read, skipping those another claim holds. Call in a transaction.

        Only rows that may be taken are locked, a few at a time: a row refused (a slow context's second, a
        probe lost) settles its context, which the next read leaves out.
        """
        workers = wakeup.worker_count()
        due = self.due()
        # Share a backlog between workers rather than one worker taking it all.
        take = min(limit, ceil(due.values("id")[: limit * workers].count() / workers))
        seen = []
        while len(self.chosen) < take:
            wanted = take - len(self.chosen)
            rows = list(
                due.exclude(pk__in=seen)
                .exclude(context__in=self.settled)
                .select_related("message")
                .select_for_update(skip_locked=True, of=("self",))[:wanted]
            )
            for row in rows:
                seen.append(row.pk)
                if self.offer(row.pk, row.context, locking=True):
                    self.locked[row.pk] = row
            if len(rows) < wanted:
                break

    def offer(self, pk: int, context: str, *, locking: bool = False) -> bool:
        """Take the delivery into the batch unless a rule refuses it; True if taken."""
        if context in self.slow:
            self.settled.add(context)
            if self.slow[context] <= 0:
                return False
            self.slow[context] = 0  # one slow delivery per batch: it runs alone, its latency outside a transaction
            if locking and not _slow_share_held(context):
                return False
        if context in self.breakers and self.breakers[context].awaits_probe(self.now):
            # One delivery is the probe of an open breaker, and only if we win it.
            self.settled.add(context)
            if context in self.probing or not _probe_won(context, self.now, locking=locking):
                return False
            self.probing.add(context)
        self.chosen.append(pk)
        return True


def _slow_share_held(context: str) -> bool:
    """Hold the slow context's fault-lab row and count its running deliveries again: True if one more may run.

    Claims at the same moment would each count the others' out; holding the row makes them count in turn. A
    claim that finds it held by another leaves the context to that one.
    """
    held = FaultSetting.objects.select_for_update(skip_locked=True).filter(context=context)
    if not held.values_list("pk"):
        return False
    running = Delivery.objects.filter(status=DeliveryStatus.RUNNING, context=context).count()
    return running < faults.slow_context_workers(wakeup.worker_count())


def _probe_won(context: str, now, *, locking: bool) -> bool:
    """Win the probe of an open breaker. Locking, a breaker row another transaction holds is left to it: claims
    never wait for one another's locks, so they cannot deadlock on them."""
    held = CircuitBreaker.objects.select_for_update(skip_locked=True).filter(context=context)
    if locking and not held.values_list("pk"):
        return False
    return breaker.try_probe(context, now)


def _slow_context_room(lab) -> dict[str, int]:
    """For each context the fault lab slows down: how many more of its deliveries may run now."""
    contexts = faults.slow_contexts(lab)
    if not contexts:
        return {}
    running = dict(
        Delivery.objects.filter(status=DeliveryStatus.RUNNING, context__in=contexts)
        .order_by()
        .values_list("context")
        .annotate(n=Count("id"))
    )
    share = faults.slow_context_workers(wakeup.worker_count())
    return {context: share - running.get(context, 0) for context in contexts}
