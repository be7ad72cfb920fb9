"""Who still calls an API version: the requests per client in a running service's metrics.

    python -m dicom_service.ops.callers --admin http://127.0.0.1:9090 1.0-prerelease

Counts since the service's processes started (its counters restart with it); over a longer window, ask the
Prometheus server that scrapes the service:
`sum by (client) (increase(dicomweb_requests_total{api_version="1.0-prerelease"}[30d]))`.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

REQUESTS = "dicomweb_requests"


def callers(metrics_text: str, version: str) -> Counter[str]:
    """Requests per client of `version`, from the Prometheus text of /metrics."""
    found: Counter[str] = Counter()
    for family in text_string_to_metric_families(metrics_text):
        if family.name != REQUESTS:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("api_version") == version:
                found[sample.labels.get("client", "?")] += int(sample.value)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dicom_service.ops.callers", description=__doc__)
    parser.add_argument("version", help="an API version's name, as in specs/versions.yaml (1.0-prerelease)")
    parser.add_argument("--admin", default="http://127.0.0.1:9090", help="the service's admin listener")
    args = parser.parse_args(argv)
    url = f"{args.admin.rstrip('/')}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            text = answer.read().decode()
    except (urllib.error.URLError, OSError) as exc:
        print(f"error: cannot read {url}: {exc}", file=sys.stderr)
        return 2
    found = callers(text, args.version)
    if not found:
        print(f"no request to version {args.version} since the service started")
        return 0
    print(f"requests to version {args.version} since the service started, by client:")
    for client, count in found.most_common():
        print(f"{count:>10}  {client}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
