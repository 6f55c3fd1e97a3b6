"""Inbound integrations: pure mappers from other tools' events (CDEvents, GitHub, GitLab, PagerDuty) to DORA events."""
