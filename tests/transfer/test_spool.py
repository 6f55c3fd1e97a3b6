"""The spool gives back exactly the items put in it, batch by batch."""

from __future__ import annotations

import tempfile

from doralens.domain.events import ChangeFailureMark, Deployment, Failure, Remediation, make_git_info
from doralens.transfer.items import Item
from doralens.transfer.spool import dump_batch, load_batches


def test_items_come_back_equal_with_their_marks_and_ids_given() -> None:
    git = make_git_info("a" * 40, "https://h/o/r")
    mark = ChangeFailureMark(True, Remediation("rollback", None, "v1"), "ops", 5)
    batches = [
        [
            Item(1, Deployment("deployment-000001", "web", 1, 2, "prod", "t", "v", git, ("a:b", "é:ü")), mark),
            Item(2, Deployment("deployment-000002", "api", 3, 4)),
        ],
        [
            Item(3, Failure("failure-0000000001", 5, ("web",), None, None, "x", "SEV-1", None, None, git, ("k:v",))),
            Item(4, Failure("failure-0000000002", 6, (), "team", 7, id_given=False)),
        ],
    ]
    with tempfile.TemporaryFile() as spool:
        for batch in batches:
            dump_batch(batch, spool)
        back = list(load_batches(spool))
    assert back == batches
    assert [item.mark for item in back[0]] == [mark, None]
    assert [getattr(item.event, "id_given", None) for item in back[1]] == [True, False]
