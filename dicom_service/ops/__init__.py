"""Running the service in production: the admin port (health, readiness, Prometheus metrics), one JSON log
line per request, and the metrics the service records while it answers."""
