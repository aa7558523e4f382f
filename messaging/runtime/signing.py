"""HMAC over a message's stored envelope, keyed from SECRET_KEY.

Any change to a stored row (type, payload, ids, reply_to, timing) breaks the
signature, and the worker dead-letters the delivery instead of running it.
SECRET_KEY_FALLBACKS are accepted so that rotating the key loses nothing.

The trace context (``traceparent``) is signed too. Altered, it would only hang
the delivery's spans in another trace, harmless; but then one field of the
envelope could be changed unnoticed and the rule above would have an exception
to remember. Signing it costs nothing more (the envelope is hashed anyway), and
rows without one (written with tracing off, or before it existed) sign as they
always did.
"""

import json
from datetime import UTC

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "marketplace.messaging.envelope"


def canonical_envelope(message) -> bytes:
    envelope = {
        "id": str(message.id),
        "kind": message.kind,
        "type": message.type,
        "version": message.version,
        "context": message.context,
        "payload": message.payload,
        "correlation_id": message.correlation_id,
        "causation_id": message.causation_id,
        "reply_to": message.reply_to,
        "created_at": _iso(message.created_at),
        "not_before": _iso(message.not_before),
    }
    if message.traceparent:  # only when set: a row written without one keeps the signature it was given
        envelope["traceparent"] = message.traceparent
    return json.dumps(
        envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode()


def _iso(moment):
    # The database may hand back another tzinfo object for UTC: normalise.
    return moment.astimezone(UTC).isoformat() if moment else None


def sign(message, secret: str | None = None) -> str:
    return salted_hmac(SALT, canonical_envelope(message), secret=secret, algorithm="sha256").hexdigest()


def is_authentic(message) -> bool:
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if constant_time_compare(message.signature, sign(message, secret)):
            return True
    return False
