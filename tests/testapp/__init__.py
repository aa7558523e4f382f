"""A test-only context whose handlers misbehave on request: fail, hang, crash, record effects."""
