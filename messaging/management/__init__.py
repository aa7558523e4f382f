"""Messaging's command line: the operator's commands, and the building blocks any app's commands share.

Owns ``commands/`` (``qcluster``, ``messaging_sweeper``, ``messaging_status``,
``replay_messages``, ``dead_letters``, ``purge_messages``, ``fault_lab``,
``handler_pause``, ``handler_resume``, ``messaging_metrics_reset``) and two
public building blocks:
``options`` (``OperatingCommand``: the actor, ``--json``, clear errors) and
``progress`` (the one progress bar). A command parses, calls one service of
``messaging.controls`` or ``messaging.operations``, and prints; it holds no
logic of its own.

May import: every other part of messaging. Nothing of messaging imports it.
"""
