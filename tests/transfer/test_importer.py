"""Importing files into a real store on each backend: refuse or skip bad lines, write in batches of one transaction,
the same rows as the API's path (indexes kept or set aside), idempotent, and metrics that see what was imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from doralens.api.schemas import parse_deployment, parse_failure
from doralens.store.sql import SqlEventStore
from doralens.transfer.csvrows import FormatError
from doralens.transfer.export import deployment_body, failure_body
from doralens.transfer.importer import ImportOptions, run_import
from doralens.transfer.items import parse_mark
from tests.metrics.conftest import ask, load
from tests.metrics.scenario import scenario_deployments, scenario_failures
from tests.transfer.conftest import clear, dump
from tests.transfer.events import sample_bodies, write_ndjson

pytestmark = pytest.mark.usefixtures("reading")


def _import(store: SqlEventStore, path: Path, **options: Any) -> Any:
    return run_import(store.backend, path, ImportOptions(**options))


def _through_the_api(store: SqlEventStore, bodies: list[dict[str, Any]]) -> None:
    """What posting each body (and patching a marked deployment) does."""
    for body in bodies:
        if "service" in body["data"]["attributes"]:
            deployment = parse_deployment(body, service_teams={})
            store.record_deployment(deployment)
            mark = parse_mark(body, default_by="import", now=0)
            if mark is not None:
                store.mark_deployment(deployment.id, mark)
        else:
            store.record_failure(parse_failure(body, service_teams={}))


@pytest.mark.usefixtures("index_policy")
@pytest.mark.parametrize("batch_size", [2, 10_000])
def test_an_import_stores_what_the_api_stores(store: SqlEventStore, tmp_path: Path, batch_size: int) -> None:
    bodies = sample_bodies()
    _through_the_api(store, bodies)
    expected = dump(store, since=False)
    clear(store)
    report = _import(store, write_ndjson(tmp_path / "e.ndjson", bodies, blank_lines=True), batch_size=batch_size)
    assert (report.deployments, report.failures, report.rejected, report.written) == (4, 4, 0, True)
    assert dump(store, since=False) == expected
    assert store.count_events() == (4, 3)


def _events(store: SqlEventStore) -> dict[str, Any]:
    """The stored events, without the marks of what a refresh should look at again."""
    return {k: v for k, v in dump(store).items() if k not in ("dirty_streams", "lead_time_dirty")}


@pytest.mark.usefixtures("index_policy")
def test_importing_a_file_again_changes_nothing(store: SqlEventStore, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "e.ndjson", sample_bodies())
    _import(store, path, batch_size=3)
    first = _events(store)
    _import(store, path, batch_size=5)
    assert _events(store) == first


def test_one_bad_line_and_nothing_is_written(store: SqlEventStore, tmp_path: Path) -> None:
    bodies: list[Any] = sample_bodies()
    bodies[2]["data"]["attributes"]["started_at"] = "later"
    path = write_ndjson(tmp_path / "e.ndjson", bodies)
    with path.open("a") as stream:
        stream.write("{not json\n")
    report = _import(store, path, batch_size=1)
    assert (report.written, report.rejected, [r.line for r in report.rejections]) == (False, 2, [3, 9])
    assert report.rejections[0].problems[0].pointer == "/data/attributes/started_at"
    assert store.count_events() == (0, 0)


def test_skipping_invalid_lines_writes_the_others(store: SqlEventStore, tmp_path: Path) -> None:
    bodies: list[Any] = sample_bodies()
    del bodies[0]["data"]["attributes"]["service"]
    report = _import(store, write_ndjson(tmp_path / "e.ndjson", bodies), skip_invalid=True)
    assert (report.written, report.rejected, report.deployments) == (True, 1, 3)
    assert store.get_deployment("deployment-000002") is not None


def test_a_dry_run_checks_and_writes_nothing(store: SqlEventStore, tmp_path: Path) -> None:
    report = _import(store, write_ndjson(tmp_path / "e.ndjson", sample_bodies()), dry_run=True)
    assert (report.written, report.deployments, report.failures) == (False, 4, 4)
    assert store.count_events() == (0, 0)


def test_csv_imports_what_ndjson_imports(store: SqlEventStore, tmp_path: Path) -> None:
    _import(store, write_ndjson(tmp_path / "e.ndjson", sample_bodies()))
    expected = dump(store, since=False)
    from doralens.transfer.export import write_events

    with (tmp_path / "e.csv").open("wb") as out:
        write_events(store.backend, out, fmt="csv", kinds=("deployment", "failure"))
    clear(store)
    _import(store, tmp_path / "e.csv", format="csv")
    assert dump(store, since=False) == expected


@pytest.mark.usefixtures("index_policy")
def test_metrics_see_an_import_into_a_database_already_refreshed(store: SqlEventStore, tmp_path: Path) -> None:
    events = [*scenario_deployments(), *scenario_failures()]
    load(store, events)
    expected = ask(store)
    assert expected["metrics"]["change_failure_rate"]["numerator"] > 0
    clear(store)
    load(store, events[::2])
    ask(store)  # refreshes: nothing is dirty any more
    rest = [deployment_body(e) if hasattr(e, "service") else failure_body(e) for e in events[1::2]]
    _import(store, write_ndjson(tmp_path / "rest.ndjson", rest), batch_size=2)
    assert ask(store) == expected


def test_a_csv_file_that_breaks_half_way_writes_nothing_even_when_skipping(
    store: SqlEventStore, tmp_path: Path
) -> None:
    path = tmp_path / "e.csv"
    rows = "".join(f"deployment,web,{1_700_000_000 + n},{1_700_000_060 + n}\n" for n in range(3))
    path.write_text(f'kind,service,started_at,finished_at\n{rows}"deployment,web\n')
    with pytest.raises(FormatError):
        _import(store, path, format="csv", skip_invalid=True, batch_size=1)
    assert store.count_events() == (0, 0)
