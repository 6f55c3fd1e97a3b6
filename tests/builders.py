"""Builders of request bodies and events for tests."""

from __future__ import annotations

from typing import Any

SHA = "66adc9350f2cc9b250b69abddab733dd55e1a588"
T0 = 1_693_491_974_000_000_000  # 2023-08-31T14:26:14Z in nanoseconds


def deployment_body(**attributes: Any) -> dict[str, Any]:
    """A valid deployment create body; keyword arguments override or (with None) remove attributes."""
    attrs: dict[str, Any] = {
        "service": "checkout",
        "env": "prod",
        "started_at": T0,
        "finished_at": T0 + 60 * 10**9,
    }
    attrs.update(attributes)
    return {"data": {"attributes": {k: v for k, v in attrs.items() if v is not None}}}


def failure_body(**attributes: Any) -> dict[str, Any]:
    """A valid failure create body; keyword arguments override or (with None) remove attributes."""
    attrs: dict[str, Any] = {"services": ["checkout"], "env": "prod", "started_at": T0}
    attrs.update(attributes)
    return {"data": {"attributes": {k: v for k, v in attrs.items() if v is not None}}}


SEED_INCIDENT = b"""  {
    "data": {
      "attributes": {
        "services": ["shopist"],
        "team": "shopist-devs",
        "started_at": 1693491974000000000,
        "finished_at": 1693491984000000000,
        "git": {
          "commit_sha": "66adc9350f2cc9b250b69abddab733dd55e1a588",
          "repository_url": "https://github.com/organization/example-repository"
        },
        "env": "prod",
        "name": "Web server is down failing all requests",
        "severity": "High"
      }
    }
  }
"""
