"""What runs a message, from the sender's call to its outcome.

Owns the write side (``bus``, ``outbox``, ``journal``, ``signing``, ``limits``), the
catalogue of message types and their handlers (``registry``, ``decorators``), and
what a worker does with a due delivery (``claims``, ``worker``, ``pipeline``,
``failures``, ``breaker``, ``timeouts``, ``wakeup``).

May import: Django, django-q2, ``messaging.models``, ``messaging.contracts``,
``messaging.errors``. Never ``operations``, ``admin``, ``processes`` or a context.
"""
