"""What the runtime tells the outside about itself: metrics and traces.

``tracing``: OpenTelemetry traces, one per request across the outbox (the web process's span, each message's
producer span, each delivery's consumer span); off unless the standard OTEL_* variables ask for it.

``metrics``: Prometheus counters and histograms (messages written, delivery attempts by outcome, handling
time, publish to handled), which every process records into files of its own under METRICS_DIR for a
scrape to add up (``metric_files``: read, merged once their processes exit, reset at a deployment's
start); ``metrics_step`` records each attempt. Off unless METRICS_TOKEN is set.
"""
