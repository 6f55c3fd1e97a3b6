"""The range walk over loaded commits: bounded reads, clock skew, the edge of the known history."""

from __future__ import annotations

from collections.abc import Sequence

from doralens.gitdata.commits import Commit
from doralens.gitdata.walk import walk_range
from tests.builders import sha


class MemoryLoader:
    """Commits in memory, served in pages like the database serves them; counts what it hands out."""

    def __init__(self, commits: Sequence[Commit]) -> None:
        self.commits = {c.sha: c for c in commits}
        self.loaded = 0

    def page(self, at_or_before: int, size: int) -> list[Commit]:
        older = sorted(
            (c for c in self.commits.values() if c.committer_time <= at_or_before),
            key=lambda c: (-c.committer_time, c.sha),
        )[:size]
        self.loaded += len(older)
        return older

    def by_sha(self, shas: Sequence[str]) -> list[Commit]:
        found = [self.commits[s] for s in shas if s in self.commits]
        self.loaded += len(found)
        return found


def _commit(label: str, time: int, *parents: str) -> Commit:
    return Commit(sha(label), tuple(sha(p) for p in parents), time, time, label)


def _line(n: int) -> list[Commit]:
    return [_commit(f"c{i}", i, *([f"c{i - 1}"] if i else [])) for i in range(n)]


def test_a_short_range_at_the_top_of_a_long_history_reads_one_page() -> None:
    loader = MemoryLoader(_line(10_000))

    walk = walk_range(loader, sha("c9999"), sha("c9996"), limit=5000)

    assert walk is not None
    assert [c.subject for c in walk.shipped] == ["c9999", "c9998", "c9997"]
    assert walk.base_reached
    assert loader.loaded <= 2 + 64  # head and base, then one small page


def test_a_parent_newer_than_its_child_is_still_placed_correctly() -> None:
    # x is older than b in history but its clock ran ahead: it is popped from the head's side first, then
    # reached from the base; final marks leave it out, as git does.
    commits = [_commit("p", 0), _commit("x", 50, "p"), _commit("b", 1, "x"), _commit("h", 100, "x")]

    walk = walk_range(MemoryLoader(commits), sha("h"), sha("b"), limit=10)

    assert walk is not None
    assert [c.subject for c in walk.shipped] == ["h"]
    assert not walk.base_reached


def test_a_child_older_than_its_parent_does_not_stop_the_walk_early() -> None:
    commits = [*_line(4), _commit("c4", -10, "c3"), _commit("c5", 5, "c4")]

    walk = walk_range(MemoryLoader(commits), sha("c5"), sha("c3"), limit=10)

    assert walk is not None
    assert [c.subject for c in walk.shipped] == ["c5", "c4"]
    assert walk.base_reached


def test_unknown_parents_are_the_edge_of_the_uploaded_history() -> None:
    # A merge whose second parent was never uploaded: counted as missing on the head's side.
    commits = [_commit("b", 1), _commit("h1", 2, "b", "lost"), _commit("h2", 3, "h1")]

    walk = walk_range(MemoryLoader(commits), sha("h2"), sha("b"), limit=10)

    assert walk is not None
    assert [c.subject for c in walk.shipped] == ["h2", "h1"]
    assert (walk.base_reached, walk.missing_head_side) == (True, 1)
    assert walk_range(MemoryLoader(commits), sha("h2"), sha("nowhere"), limit=10) is None


def test_the_walk_stops_after_finding_more_than_the_limit() -> None:
    loader = MemoryLoader(_line(3_000))

    walk = walk_range(loader, sha("c2999"), sha("c0"), limit=50)

    assert walk is not None
    assert walk.over_limit
    assert len(walk.shipped) == 51
    assert loader.loaded <= 2 + 64 + 128  # two pages: the second twice the first


def test_the_walk_gives_up_on_a_range_of_merges_only_past_its_budget() -> None:
    # Each merge joins the previous one and a root of its own: four merges per allowed result, then stop.
    commits = [_commit("m0", 0)]
    for i in range(1, 200):
        commits += [_commit(f"r{i}", 2 * i - 1), _commit(f"m{i}", 2 * i, f"m{i - 1}", f"r{i}")]
    walk = walk_range(MemoryLoader(commits), sha("m199"), sha("m0"), limit=10, accept=lambda cs: [False] * len(cs))

    assert walk is not None
    assert walk.cut_short
    assert walk.shipped == [c for c in walk.shipped if c.is_merge]
