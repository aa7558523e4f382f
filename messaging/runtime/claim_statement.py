"""On PostgreSQL, the usual claim in one statement: choose, lock, lease and read due deliveries at once.

Most claims meet no rule that needs deciding in Python: no breaker is open or
probing and the fault lab slows no context down. Such a claim is one statement,
one round trip and no transaction of its own: it chooses due deliveries oldest
first, leaving out paused handlers, ``FOR UPDATE SKIP LOCKED``; takes its share
of the backlog; leases them on the database's clock; and returns them with
their messages, whether their context's breaker is clean, and the database's
time. Contexts whose breaker is not closed or that the fault lab slows down
are left to ``choice``, whose rules decide them; the statement says whether
there are any, so that the claim goes on with ``choice`` only then, and
whether the fault lab has any fault set, so that a batch with none reads no
fault lab.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from messaging.models import WAITING_STATUSES, BreakerState, Delivery, DeliveryStatus, Message

_DELIVERY_FIELDS = Delivery._meta.concrete_fields
_MESSAGE_FIELDS = Message._meta.concrete_fields

_DUE = """
    status = ANY(%(waiting)s) AND available_at <= statement_timestamp()
    AND handler NOT IN (SELECT handler FROM messaging_handlerstate WHERE paused)
    AND context NOT IN (SELECT context FROM special)
"""

_CLAIM = f"""
WITH special AS (
    SELECT context FROM messaging_circuitbreaker WHERE state <> %(closed)s
    UNION SELECT context FROM messaging_faultsetting WHERE latency_ms > 0
), chosen AS (
    SELECT id FROM messaging_delivery WHERE {_DUE}
    ORDER BY available_at, id
    LIMIT (SELECT ceil(count(*) / %(workers)s::numeric)::bigint
           FROM (SELECT 1 FROM messaging_delivery WHERE {_DUE} LIMIT %(backlog)s) AS backlog)
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE messaging_delivery AS d
    SET status = %(running)s, lease_token = %(token)s, lease_expires_at = statement_timestamp() + %(lease)s,
        attempts = d.attempts + 1, updated_at = statement_timestamp()
    FROM chosen WHERE d.id = chosen.id
    RETURNING d.*
)
SELECT {", ".join(f'leased."{f.column}"' for f in _DELIVERY_FIELDS)},
       {", ".join(f'm."{f.column}"' for f in _MESSAGE_FIELDS)},
       NOT EXISTS (SELECT 1 FROM messaging_circuitbreaker AS b
                   WHERE b.context = leased.context AND (b.state <> %(closed)s OR b.consecutive_failures > 0)),
       EXISTS (SELECT 1 FROM special),
       EXISTS (SELECT 1 FROM messaging_faultsetting WHERE unavailable OR latency_ms > 0 OR failure_rate > 0),
       statement_timestamp()
FROM leased JOIN messaging_message AS m ON m.id = leased.message_id
ORDER BY leased.available_at, leased.id
"""

_SPECIAL = """
    SELECT EXISTS (SELECT 1 FROM messaging_circuitbreaker WHERE state <> %(closed)s)
        OR EXISTS (SELECT 1 FROM messaging_faultsetting WHERE latency_ms > 0)
"""


@dataclass
class Leased:
    """What the statement claimed, and what it saw of the moment."""

    token: uuid.UUID
    deliveries: list[Delivery]
    clean: dict[int, bool]  # delivery id -> its context has no failures on record
    special: bool  # some context is left to ``choice``'s rules (a breaker not closed, a slow context)
    now: datetime | None  # the database's time at the statement; None when nothing was claimed
    faults_set: bool = True  # the fault lab has a fault set for some context (unknown: True)


def lease(*, limit: int, workers: int, lease_seconds: float) -> Leased:
    token = uuid.uuid4()
    params = {
        "waiting": [str(status) for status in WAITING_STATUSES],
        "closed": str(BreakerState.CLOSED),
        "running": str(DeliveryStatus.RUNNING),
        "workers": workers,
        "backlog": limit * workers,  # share a backlog between workers rather than one worker taking it all
        "token": token,
        "lease": timedelta(seconds=lease_seconds),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        rows = cursor.fetchall()
        if not rows:
            cursor.execute(_SPECIAL, params)
            return Leased(token, [], {}, special=cursor.fetchone()[0], now=None)
    deliveries, clean = [], {}
    split = len(_DELIVERY_FIELDS)
    for row in rows:
        delivery = _instance(Delivery, _DELIVERY_FIELDS, row[:split])
        delivery.message = _instance(Message, _MESSAGE_FIELDS, row[split : split + len(_MESSAGE_FIELDS)])
        deliveries.append(delivery)
        clean[delivery.pk] = row[-4]
    return Leased(token, deliveries, clean, special=rows[0][-3], faults_set=rows[0][-2], now=rows[0][-1])


def _instance(model, fields, values):
    # What the ORM does with a row it reads: each field's conversion (JSON text to Python), then ``from_db``.
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
