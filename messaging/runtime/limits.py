"""The size a message's payload may have: checked at publish and again before a worker runs a stored one.

Messages carry ids and values, not documents: a payload over the limit is a
mistake the sender sees at the call, and a stored row over it (edited by hand,
or written under a larger limit) is dead-lettered with the reason, never run.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder

from messaging.errors import MessageTooLargeError
from messaging.runtime.conf import messaging_settings


def payload_size(payload) -> int:
    return len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder).encode())


def check_payload_size(row) -> None:
    """Raise ``MessageTooLargeError`` if the message's payload is over the limit."""
    limit = messaging_settings().max_payload_bytes
    if (size := payload_size(row.payload)) > limit:
        raise MessageTooLargeError(
            f"{row.type} payload is {size} bytes, over the {limit}-byte limit (MESSAGING['max_payload_bytes']): "
            "send ids and values, not documents"
        )
