"""The long-running processes that keep messages moving without a person watching.

Owns the supervised django-q2 cluster (``supervisor``, ``cluster``), the
sweeper that repairs what crashes leave behind (``sweeper``), heartbeats and the
watchdog that notices a silent or stalled cluster (``heartbeat``, ``watchdog``),
broken-connection recovery (``connections``) and the start-up checks (``checks``).

May import: ``messaging.runtime``, ``messaging.models``. Never ``operations``,
``admin`` or a context.
"""
