"""What an operator does to messages: replay, retry, pause and resume, purge, status.

Owns the operator's actions, each journaled with its actor (``actions``), the dead letters chosen by
filter, which failed for good, and archiving them (``dead_letters``), replay and
the selection of what to replay or purge (``replay``, ``replay_targets``,
``selection``), retention (``retention``), stored messages read back as contracts
(``history``), the status snapshot (``status``) and the one form of each control
(``forms``). ``messaging.controls`` is their public face: the admin, the dashboard
and the management commands are doors to these services, none holds logic of its own.

May import: ``messaging.runtime``, ``messaging.processes``, ``messaging.models``.
Never ``admin``, ``management`` or a context.
"""
