"""Runs deliveries: the django-q2 task, and batches of claimed deliveries through the pipeline.

One attempt = claim (its own transaction, so the attempt is counted even if
the process dies), then the steps of ``pipeline``: the handler's writes, the
"succeeded" mark (a compare-and-set on the lease token), the journal entries
and any messages it sends, all in one transaction. A failure rolls that
transaction back and is recorded in a new one by ``failures``; a lost lease
rolls it back silently.
"""

import os
from time import monotonic

from django.db import transaction

from messaging.runtime import board, journal, pipeline, wakeup
from messaging.runtime.claims import Claim, delivery_claim_batch, due_deliveries, leases_renew, release
from messaging.runtime.conf import group_commit_seconds, messaging_settings
from messaging.runtime.contention import lock_waits_limit


def run_due_deliveries() -> int:
    """The django-q2 task: run due deliveries until none is left, the budget is spent, or the cluster stops."""
    board.task_started()
    return drain(actor=f"worker:{os.getpid()}")


def drain(*, actor: str) -> int:
    """Run due deliveries for up to ``drain_seconds``; returns how many ran. Work left is handed to a fresh task."""
    deadline = monotonic() + messaging_settings().drain_seconds
    done = 0
    while not board.stop_requested():
        claims = delivery_claim_batch(actor=actor)
        if not claims:
            return done
        done += execute_batch(claims)
        if monotonic() >= deadline:
            if due_deliveries(claims[0].clock.now()).exists():  # the database's clock, as the claim read it
                wakeup.wake()  # budget spent with work left: hand over to a fresh task
            break
    return done


def execute_batch(claims: list[Claim]) -> int:
    """Run claimed deliveries in order, committing them in small groups.

    Each delivery runs through its context's chain (``pipeline``) in its own
    savepoint (its writes, its "succeeded" and its journal entries stand or
    fall together); the group shares one commit, kept to
    ``group_commit_seconds`` so that a slow handler gets its own: one write
    transaction per group instead of one per delivery. Only the group's first
    delivery may wait for a lock: the others wait at most the group's window
    (``contention.lock_waits_limit``) and, refused, yield: the group commits
    and the one that yielded runs again first in the next, so two groups never
    deadlock (with a window of 0, each delivery commits alone). A crash loses
    the group's uncommitted successes: their leases expire and they run again,
    effects once. A delivery whose chain runs alone (it sleeps outside any
    transaction) runs alone and last, so the others of its batch do not wait
    for it. The leases of the deliveries still waiting are renewed as the
    batch goes, so they never run out behind a slow one. Deliveries of a
    context whose breaker opens meanwhile, and all of them once the cluster is
    stopping, are given back unrun.
    """
    window = group_commit_seconds()
    chains = pipeline.Chains(claims)
    halted, ran = set(), 0
    pending = sorted(claims, key=lambda claim: chains[claim.delivery.context].runs_alone)
    while pending:
        if board.stop_requested():
            for claim in pending:
                release(claim)
            break
        leases_renew(pending)
        if not window or len(pending) == 1 or chains[pending[0].delivery.context].runs_alone:
            ran += _run(pending.pop(0), chains, halted)  # its own transaction: no group, no savepoint
            continue
        with transaction.atomic():
            opened, successes = monotonic(), []  # the group's "started"/"succeeded" rows: one insert
            ran += _run(pending.pop(0), chains, halted, successes)
            limited = False  # lock waits, limited once the group holds a first delivery's locks
            while pending and monotonic() - opened <= window:
                if chains[pending[0].delivery.context].runs_alone:
                    break  # it runs alone, after this group's commit
                if not limited:
                    lock_waits_limit(window)
                    limited = True
                claim = pending.pop(0)
                attempt = chains[claim.delivery.context].run(claim, halted=halted, successes=successes, grouped=True)
                if attempt.outcome == pipeline.YIELDED:
                    pending.insert(0, claim)  # first of the next group, where it may wait
                    break
                ran += attempt.outcome != pipeline.RELEASED
            if successes:
                journal.append(*successes)
    return ran


def _run(claim: Claim, chains: pipeline.Chains, halted: set[str], successes: list | None = None) -> int:
    """Run one claim of a batch through its context's chain; 1 if it ran, 0 if it was given back."""
    attempt = chains[claim.delivery.context].run(claim, halted=halted, successes=successes)
    return 0 if attempt.outcome == pipeline.RELEASED else 1


def execute(claim: Claim, successes: list | None = None) -> bool:
    """Run one claimed delivery and record its outcome; True if it succeeded.

    Given ``successes``, the journal rows of a success are added to it, for the
    caller to write in the same transaction (after the savepoint, they can no
    longer be undone).
    """
    attempt = pipeline.Chains()[claim.delivery.context].run(claim, successes=successes)
    return attempt.outcome == pipeline.SUCCEEDED
