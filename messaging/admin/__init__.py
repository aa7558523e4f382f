"""Messaging in the Django admin: the outbox, dead letters, the journal, operating state, the fault lab.

History is read-only here; the only writes are the audited operator actions of
``messaging.operations``, each journaled with ``admin:<username>`` as the actor.
Every list is built for tables of millions of rows: bounded counts, orderings and
searches on indexes, filters fed by the registry (``paginator``, ``search``,
``filters``). ``blocks`` is the public part: the read-only admins, links and
exact searches the contexts' own admins are built from.

May import: ``messaging.controls`` (the services it is a door to), ``messaging.runtime``, ``messaging.operations``,
``messaging.models``.
"""

from messaging.admin import faults, journal, operating, outbox  # noqa: F401  (each registers its admins)
