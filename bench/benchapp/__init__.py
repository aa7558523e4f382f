"""A bench-only context: one event, one no-op subscriber, one no-op django-q2 task.

Both no-ops do the same tiny thing, append ``"<seq> <time>"`` to a trace file,
so that every execution is counted without touching the database.
"""
