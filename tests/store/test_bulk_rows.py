"""Rows as the reading process builds them for the bulk writer, and the walk it does in advance."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from doralens.domain.events import ChangeFailureMark, Deployment, Remediation, make_git_info
from doralens.store.bulk_rows import EVENT_COLUMNS, deployment_row, row_batch
from tests.builders import sha

T = 1_700_000_000 * 10**9


def _deployment(deployment_id: str, finished: int, **fields: Any) -> Deployment:
    return Deployment(deployment_id, "web", finished - 60, finished, env="prod", **fields)


def test_a_row_holds_the_columns_in_their_order_and_the_tags_once() -> None:
    git = make_git_info(sha("a"), "https://ci:secret@github.com/acme/shop.git")
    row = deployment_row(_deployment("d" * 16, T, team="shop", git=git, custom_tags=("a:b", "a:b", "c:d:e")), None)
    values = dict(zip(EVENT_COLUMNS, row.values, strict=False))
    assert len(row.values) == len(EVENT_COLUMNS) - 1  # all but updated_at, which the writer stamps
    assert (values["id"], values["team"], values["finished_at"]) == ("d" * 16, "shop", T)
    assert values["repository_url"] == git.repository_url
    assert "secret" not in str(row)
    assert values["custom_tags"] == '["a:b", "a:b", "c:d:e"]'
    assert row.tags == (("a", "b"), ("c", "d:e"))


def test_a_batch_is_walked_in_advance_unless_a_row_carries_a_mark() -> None:
    first, again, other = (
        deployment_row(_deployment("d" * 16, T + 60), None),
        deployment_row(_deployment("d" * 16, T, git=make_git_info(sha("b"), "h/o/r")), None),
        deployment_row(Deployment("e" * 16, "api", T, T + 5), None),
    )
    batch = row_batch([first, again, other])
    assert batch.ids == ["d" * 16, "e" * 16]
    assert batch.walked is not None
    assert batch.walked.final == {"d" * 16: again, "e" * 16: other}  # the last version of each id
    assert batch.walked.touched == {("web", "prod"): T, ("api", None): T + 5}  # the earliest time a stream
    assert batch.walked.lead_time == {("web", "prod")}  # git data, and nothing stored before
    assert batch.walked.streams == {("web", "prod", ""), ("api", "", "")}
    mark = ChangeFailureMark(True, Remediation("rollback", "e" * 16), "ops", 1)
    assert row_batch([first, deployment_row(_deployment("f" * 16, T), mark)]).walked is None


def test_the_reading_process_does_not_load_the_database_layer() -> None:
    # It builds rows and walks batches, and its memory counts in an import's budget: SQLAlchemy alone is 18 MB more.
    code = "import sys, doralens.transfer.child; print('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
