"""What runs a message, from the sender's call to its outcome.

Owns the write side (``bus``, ``outbox``, ``journal``, ``signing``, ``limits``); the
registry of message types and their handlers (``registry``, ``decorators``); what a
worker does with a due delivery (``claims``, ``choice``, ``worker``, ``pipeline``,
``failures``, ``breaker``, ``timeouts``, ``wakeup``) and the database's ``clock`` it reads
due times and leases on; the shared-memory ``board`` through
which a worker hears that its supervised cluster is stopping; and what it tells
the outside about itself (``telemetry``: metrics and traces).

May import: Django, django-q2, ``messaging.models``, ``messaging.contracts``,
``messaging.errors``. Never ``operations``, ``admin``, ``processes`` or a context.
"""
