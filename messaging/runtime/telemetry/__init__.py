"""What the runtime tells the outside about itself: metrics and traces.

``tracing``: OpenTelemetry traces, one per request across the outbox (the web process's span, each message's
producer span, each delivery's consumer span); off unless the standard OTEL_* variables ask for it.
"""
