"""The live dashboard: every message as it flows, and the controls to operate it.

Staff only, under ``/dashboard/``. It reads the messaging journal, outbox and
operating state, and the public services and selectors of the contexts (it is
the project, not a context). Pages: the live stream (journal entries pushed
over the websocket ``/ws/dashboard/``, see ``consumers`` and ``tail``), the flow
view of one correlation, the delivery ledger of one message, dead letters and
controls, health and numbers, the message types and the trade-off panel.
Every control is a POST to its one service (``messaging.controls``, or a context's
service), journaled with ``user:<username>`` as the actor.
"""
