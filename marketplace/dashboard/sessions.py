"""A dashboard socket lives no longer than the login it was opened with.

Two ways, because either alone misses a case:

- On logout (Django's ``user_logged_out``, from any logout view, the admin's too) the web process tells the
  sockets of that session, through the channel layer group of its user (``dashboard.user.<pk>``), to close with
  4401. With channels-redis this reaches the sockets on every web process, at once.
- Each socket also asks, now and then, whether its session still logs in an active member of staff
  (``session_holds``): that covers a session deleted or expired elsewhere, a user deactivated or no longer
  staff, a password changed, and a web process the group message did not reach (the in-memory layer).

The logout message names the session by a digest of its key: the key is a credential, and a logout in one browser
leaves the same user's sessions in other browsers logged in, their sockets open.
"""

import hashlib
import logging
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

logger = logging.getLogger(__name__)

LOGOUT = "dashboard.logout"  # the group message's type: DashboardConsumer.dashboard_logout


def user_group(user_pk) -> str:
    """The channel layer group every dashboard socket of this user joins."""
    return f"dashboard.user.{user_pk}"


def session_digest(session_key: str | None) -> str:
    """A session's name on the channel layer: the key's SHA-256, never the key."""
    return hashlib.sha256((session_key or "").encode()).hexdigest()


def logout_message(session_key: str | None) -> dict:
    return {"type": LOGOUT, "session": session_digest(session_key)}


def close_sockets_on_logout(sender, request, user, **kwargs):
    """``user_logged_out`` receiver: the sockets opened with this request's session close with 4401.

    Django sends the signal before it flushes the session, so the key is still the one the sockets hold.
    """
    layer = get_channel_layer()
    if user is None or layer is None or request is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user.pk), logout_message(request.session.session_key))
    except Exception:
        # A logout must not fail because the channel layer (Redis) is away: the sockets' own check
        # (``session_holds``) closes them within the consumer's SESSION_CHECK_EVERY.
        logger.warning("Could not tell %s's dashboard sockets about the logout", user, exc_info=True)


def session_holds(session_key: str | None, user_pk) -> bool:
    """Whether the session ``session_key`` still logs in ``user_pk``, active and staff.

    Only reads: the session row (missing or expired: no), the user it names, the user's flags, and the password
    hash the login stored (a changed password ends the other sessions, as Django's ``get_user`` decides). Unlike
    ``get_user`` it never flushes nor cycles the session: the browser's next request does what Django does.
    """
    if not session_key:
        return False
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if data.get(SESSION_KEY) != str(user_pk):
        return False
    user = get_user_model()._default_manager.filter(pk=user_pk, is_active=True, is_staff=True).first()
    if user is None:
        return False
    stored = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return bool(stored) and any(constant_time_compare(stored, current) for current in hashes)
