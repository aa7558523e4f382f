"""Metrics for the project's ``/metrics``: whether they are on, and one scrape in Prometheus' format.

    if monitoring.metrics_enabled():                       # METRICS_TOKEN is set
        body, content_type = monitoring.metrics_scrape(request.headers.get("Accept", ""))

A scrape adds up what every process on this host recorded (counters and histograms, in files under
METRICS_DIR: ``runtime.telemetry.metrics`` and ``metric_files``) and reads the gauges of the database (queue depth, dead
letters, breakers, paused handlers: ``operations.gauges``). Part of messaging's public face.
"""

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from messaging.operations.gauges import DatabaseCollector
from messaging.runtime.telemetry import metric_files, metrics


def metrics_enabled() -> bool:
    """Whether this process records metrics and may serve them: METRICS_TOKEN is set."""
    return metrics.enabled()


def metrics_scrape(accept: str = "") -> tuple[bytes, str]:
    """The metrics now, and their content type: OpenMetrics if ``accept`` (an Accept header) asks for it."""
    encode, content_type = choose_encoder(accept)
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    with metric_files.reading() as recorded:
        registry.register(recorded)
        return encode(registry), content_type
