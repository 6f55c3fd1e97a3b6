"""The dashboard: server-rendered pages over the metrics, each with a JSON twin (``?format=json``)."""
