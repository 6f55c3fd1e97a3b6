"""Export writes what import reads back unchanged: import → export → import gives the same data, in NDJSON and
CSV, on each backend; filters pick events as the list endpoints do."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from doralens.store.sql import SqlEventStore
from doralens.transfer.export import write_events
from doralens.transfer.importer import Format, ImportOptions, run_import
from tests.builders import T0
from tests.transfer.conftest import clear, dump
from tests.transfer.events import MINUTE, sample_bodies, write_ndjson


def _export(store: SqlEventStore, fmt: Format = "ndjson", **filters: Any) -> bytes:
    out = io.BytesIO()
    write_events(store.backend, out, fmt=fmt, kinds=filters.pop("kinds", ("deployment", "failure")), **filters)
    return out.getvalue()


def _events(store: SqlEventStore) -> dict[str, Any]:
    return {k: v for k, v in dump(store).items() if k not in ("dirty_streams", "lead_time_dirty")}


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_import_export_import_gives_the_same_data(store: SqlEventStore, tmp_path: Path, fmt: Format) -> None:
    run_import(store.backend, write_ndjson(tmp_path / "in.ndjson", sample_bodies()), ImportOptions())
    stored = _events(store)
    exported = tmp_path / f"out.{fmt}"
    exported.write_bytes(_export(store, fmt))
    clear(store)
    report = run_import(store.backend, exported, ImportOptions(format=fmt))
    assert (report.deployments, report.failures, report.rejected) == (4, 3, 0)
    assert _events(store) == stored
    assert _export(store, fmt) == exported.read_bytes()


def test_an_export_carries_marks_git_and_unicode_as_create_bodies(store: SqlEventStore, tmp_path: Path) -> None:
    run_import(store.backend, write_ndjson(tmp_path / "in.ndjson", sample_bodies()), ImportOptions())
    lines = [json.loads(line) for line in _export(store).decode().splitlines()]
    by_id = {line["data"]["attributes"]["id"]: line["data"] for line in lines}
    first = by_id["deployment-000001"]
    assert first["type"] == "dora_deployment"
    assert first["attributes"]["git"]["repository_url"] == "https://github.com/acme/shop.git"
    assert first["attributes"]["custom_tags"] == ["région:€u", "a:b:c"]
    marked = by_id["deployment-000003"]["attributes"]
    assert (marked["change_failure"], marked["remediation"], marked["change_failure_marked_by"]) == (
        True,
        {"type": "rollback", "id": "deployment-000004"},
        "ops",
    )
    merged = by_id["failure-000000001"]["attributes"]  # resolved by the line without id that matches it
    assert (merged["name"], merged["finished_at"]) == ("Paiement refusé 💳", T0 + 5 * MINUTE)
    assert "finished_at" not in by_id["failure-000000003"]["attributes"]


def test_filters_pick_events_as_the_list_endpoints_do(store: SqlEventStore, tmp_path: Path) -> None:
    run_import(store.backend, write_ndjson(tmp_path / "in.ndjson", sample_bodies()), ImportOptions())

    def ids(**filters: Any) -> list[str]:
        return [json.loads(line)["data"]["attributes"]["id"] for line in _export(store, **filters).splitlines()]

    assert ids(kinds=("failure",)) == ["failure-000000001", "failure-000000002", "failure-000000003"]
    assert ids(kinds=("deployment",), query="service:cart") == ["deployment-000003", "deployment-000004"]
    assert ids(kinds=("deployment",), since=T0 + 2 * MINUTE, until=T0 + 4 * MINUTE) == [
        "deployment-000002",
        "deployment-000003",
    ]


def test_an_export_of_more_than_a_page_has_every_event(store: SqlEventStore, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("doralens.transfer.export.PAGE", 2)
    run_import(store.backend, write_ndjson(tmp_path / "in.ndjson", sample_bodies()), ImportOptions())
    assert len(_export(store).splitlines()) == 7
    assert len(_export(store, "csv").splitlines()) == 8
