"""Vendors' handlers: thin, load by id and call a service (filled in issue 3)."""
