"""The records and helpers every commit source shares: sha checks, path filters, finishing a range."""

from __future__ import annotations

from doralens.gitdata.commits import (
    Commit,
    RangeStatus,
    check_shas,
    finish_range,
    full_sha,
    path_filters,
    touches,
)
from tests.builders import sha

HEAD = sha("head")
BASE = sha("base")


def _commit(label: str, at: int, subject: str | None = None, parents: tuple[str, ...] = ()) -> Commit:
    return Commit(sha(label), parents or (sha(f"{label}^"),), at, at, subject or label)


def test_only_full_hex_shas_are_accepted_and_lowercased() -> None:
    assert full_sha(HEAD.upper()) == HEAD
    assert full_sha("a" * 64) == "a" * 64
    assert full_sha("abc123") is None
    assert full_sha("--upload-pack=touch /tmp/x") is None
    assert full_sha(None) is None


def test_check_shas_answers_without_walking_when_there_is_nothing_to_walk() -> None:
    assert check_shas(HEAD, BASE) == (HEAD, BASE)
    no_base = check_shas(HEAD, None)
    assert not isinstance(no_base, tuple)
    assert no_base.status is RangeStatus.NO_BASELINE
    bad_head = check_shas("main", BASE)
    assert not isinstance(bad_head, tuple)
    assert (bad_head.status, bad_head.explanation) == (RangeStatus.HEAD_UNKNOWN, "'main' is not a full sha")
    bad_base = check_shas(HEAD, "v1.2")
    assert not isinstance(bad_base, tuple)
    assert bad_base.status is RangeStatus.BASE_UNKNOWN


def test_path_filters_are_literal_prefixes_and_the_root_means_everything() -> None:
    assert path_filters(["./services/api/", "services/api", " docs "]) == ("services/api", "docs")
    assert path_filters(["services/api", "."]) == ()
    assert touches(["services/api/main.py"], ["services/api"])
    assert touches(["services/api"], ["services/api"])
    assert not touches(["services/api-gateway/main.py"], ["services/api"])
    assert not touches(["services/*/main.py"], ["services/web"])


def test_finish_range_sorts_newest_first_drops_merges_and_truncates() -> None:
    old, mid, new = _commit("old", 1), _commit("mid", 2), _commit("new", 3)
    merge = Commit(sha("merge"), (sha("a"), sha("b")), 4, 4, "Merge")

    done = finish_range(HEAD, BASE, [old, merge, new, mid], limit=2, orphaned=False)

    assert [c.sha for c in done.commits] == [new.sha, mid.sha]
    assert (done.status, done.truncated) == (RangeStatus.TRUNCATED, True)
    assert "only the newest 2 are listed" in done.explanation


def test_finish_range_after_a_force_push_skips_rebased_copies() -> None:
    shipped_before = _commit("two", 10, "Add cart")
    copy = Commit(sha("two'"), (sha("one"),), 10, 99, "Add cart")  # same author time and subject
    new = _commit("three", 20, "Fix cart")

    done = finish_range(HEAD, BASE, [copy, new], limit=10, orphaned=True, base_side=[shipped_before])

    assert [c.sha for c in done.commits] == [new.sha]
    assert (done.status, done.rewritten_skipped, done.measured) == (RangeStatus.ORPHANED, 1, True)


def test_finish_range_names_a_rollback_and_incomplete_uploads() -> None:
    rollback = finish_range(HEAD, BASE, [], limit=10, orphaned=True, rollback=True)
    assert (rollback.status, rollback.commits) == (RangeStatus.OK, ())
    assert "a rollback" in rollback.explanation
    partial = finish_range(HEAD, BASE, [_commit("a", 1)], limit=10, orphaned=False, missing=2)
    assert (partial.status, partial.measured) == (RangeStatus.INCOMPLETE, False)
    assert "2 commits between them were never uploaded" in partial.explanation


def test_ranges_carry_no_paths() -> None:
    with_paths = Commit(sha("p"), (sha("q"),), 1, 1, "change", ("a.txt",))
    done = finish_range(HEAD, BASE, [with_paths], limit=10, orphaned=False)
    assert done.commits[0].paths == ()
    assert done.commits[0].sha == with_paths.sha
