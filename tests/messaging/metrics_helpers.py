"""Shared by the metrics tests: a scrape read back by name and labels, and a process's env that records."""

from prometheus_client.parser import text_string_to_metric_families

from messaging import monitoring

TOKEN = "test-metrics-token"
RECORDING_ENV = {"METRICS_TOKEN": TOKEN}  # for the processes a test starts (they inherit the files' directory)


class Scrape:
    """One scrape, parsed as Prometheus parses it: each family, and each sample's value by name and labels."""

    def __init__(self, text: str):
        self.text = text
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in self.families.values()
            for sample in family.samples
        }

    def value(self, name: str, **labels) -> float:
        """The sample's value; 0 for one not there (a counter nothing has counted yet)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def has(self, name: str, **labels) -> bool:
        return (name, frozenset(labels.items())) in self.samples

    def gained(self, before: "Scrape", name: str, **labels) -> float:
        """How much the sample grew since ``before``: other tests' counts stay in this run's files."""
        return self.value(name, **labels) - before.value(name, **labels)


def scrape(client=None) -> Scrape:
    """Scrape through ``/metrics`` with the token when given Django's test client, else through the public face."""
    if client is None:
        return Scrape(monitoring.metrics_scrape()[0].decode())
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return Scrape(response.content.decode())
