"""Loading the vendor payloads under ``tests/payloads/`` and the fixed clock the mapper tests run at."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.builders import ts

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
NOW = ts("2024-06-01T00:00:00Z")


def raw(name: str) -> bytes:
    """The bytes of a payload file, such as ``github/ping.json``."""
    return (PAYLOADS / name).read_bytes()


def load(name: str) -> Any:
    """A payload file, parsed (a fresh copy each call, so tests may change it)."""
    return json.loads(raw(name))
