"""doralens: a self-hosted DORA metrics server that speaks the Datadog DORA API."""

__version__ = "0.1.0"
