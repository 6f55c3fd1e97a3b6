"""Bulk import and export of events: NDJSON of Datadog create bodies, and CSV."""
