"""The fault suite: the whole system as real processes, a fault injected under load, then a ledger.

Each scenario starts daphne, supervised qclusters and sweepers on the test database (PostgreSQL runs also
get Redis as broker, cache and channel layer), places and pays orders over HTTP, injects its fault, and
checks the ledger: every paid order notified to each of its vendors exactly once, no delivery stuck, no
unexpected dead letter, stock conserved, one payment per paid order, and new work flowing afterwards.
``pytest tests/faults`` prints a table of every scenario's figures (also written to test-artifacts/faults/).
"""
