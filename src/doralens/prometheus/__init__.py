"""The Prometheus export: the DORA metrics as gauges, and the server's own request and ingest counters."""
