"""A service's git history as a plan: commits with their parents, authors and times, written later by git.

Times here are whole Unix seconds (git's resolution). Commits are numbered by ``mark`` in the order they are
made, and every parent is made before its children, so the plan can be fed to ``git fast-import`` as it is.
The main branch only moves forward in time; a pull request's commits hang off the main commit of the moment
the branch started, and a merge commit brings them in (carrying their files, as fast-import builds trees from
the first parent only).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass

from doralens.demo.profiles import DAY_S, MINUTE_S, MODULES, THINGS, VERBS, Person, TeamProfile

INITIAL_AGE_S = 120 * DAY_S  # the repository existed this long before the demo period


@dataclass(frozen=True)
class PlannedCommit:
    """One commit: ``files`` are (path, content) pairs it writes; merges carry their branch's files."""

    mark: int
    parents: tuple[int, ...]
    author: Person
    author_time: int
    committer_time: int
    subject: str
    files: tuple[tuple[str, str], ...]


class RepoPlan:
    """Builds one repository's history commit by commit, remembering when the main branch moved to which commit."""

    def __init__(self, service: str, team: TeamProfile, rng: random.Random, start_s: int) -> None:
        self.service = service
        self.team = team
        self.rng = rng
        self.commits: list[PlannedCommit] = []
        self._main_times: list[int] = []
        self._main_marks: list[int] = []
        self._pull_requests = 100 + rng.randrange(400)
        initial = start_s - INITIAL_AGE_S
        self._commit_main(team.people[0], initial, "Initial import", (("README.md", f"# {service}\n"),))

    @property
    def head(self) -> int:
        """The mark of the main branch's newest commit."""
        return self._main_marks[-1]

    @property
    def head_time(self) -> int:
        """When the main branch last moved."""
        return self._main_times[-1]

    def main_at(self, at: int) -> int:
        """The main branch's commit at a moment (the first commit when asked about an earlier one)."""
        return self._main_marks[max(bisect_right(self._main_times, at) - 1, 0)]

    def subject_of(self, mark: int) -> str:
        """A commit's subject."""
        return self.commits[mark - 1].subject

    def _add(
        self, parents: tuple[int, ...], author: Person, at: int, subject: str, files: tuple[tuple[str, str], ...]
    ) -> int:
        mark = len(self.commits) + 1
        self.commits.append(PlannedCommit(mark, parents, author, at, at, subject, files))
        return mark

    def _commit_main(self, author: Person, at: int, subject: str, files: tuple[tuple[str, str], ...]) -> int:
        parents = (self.head,) if self.commits else ()
        mark = self._add(parents, author, at, subject, files)
        self._main_times.append(at)
        self._main_marks.append(mark)
        return mark

    def _change(self, subject: str | None = None) -> tuple[str, tuple[tuple[str, str], ...]]:
        text = subject or f"{self.rng.choice(VERBS)} {self.rng.choice(THINGS[self.service])}"
        path = f"src/{self.service}/{self.rng.choice(MODULES)}.py"
        return text, ((path, f'"""{text}."""\n\nCHANGE = {len(self.commits) + 1}\n'),)

    def trunk_commit(self, at: int, subject: str | None = None) -> int:
        """A commit straight on the main branch (its time must not be before the main branch's last move)."""
        text, files = self._change(subject)
        return self._commit_main(self.rng.choice(self.team.people), max(at, self.head_time + 1), text, files)

    def pull_request(self, first_at: int, merged_at: int, count: int) -> int:
        """A branch of ``count`` commits written from ``first_at``, merged into main at ``merged_at``."""
        author = self.rng.choice(self.team.people)
        merged_at = max(merged_at, self.head_time + 1)
        first_at = min(first_at, merged_at - 10 * MINUTE_S)
        times = sorted(self.rng.randint(first_at, merged_at - 5 * MINUTE_S) for _ in range(count - 1))
        tip = self.main_at(first_at)
        files: dict[str, str] = {}
        subject = ""
        for at in (first_at, *times):
            subject, changed = self._change()
            tip = self._add((tip,), author, at, subject, changed)
            files.update(changed)
        self._pull_requests += 1
        slug = "-".join(subject.lower().split()[-2:]).replace("/", "-")
        merge_subject = f"Merge pull request #{self._pull_requests} from acme/{slug}"
        reviewer = self.rng.choice([p for p in self.team.people if p != author] or [author])
        mark = self._add((self.head, tip), reviewer, merged_at, merge_subject, tuple(sorted(files.items())))
        self._main_times.append(merged_at)
        self._main_marks.append(mark)
        return mark

    def changes_before(self, release_at: int, since: int) -> list[int]:
        """The changes a release ships: trunk commits or merged pull requests after ``since``, before the release.

        Returns the marks of the commits written (merges left out)."""
        team, rng = self.team, self.rng
        made = len(self.commits)
        earliest = max(since, self.head_time) + MINUTE_S
        latest = release_at - 5 * MINUTE_S
        if latest <= earliest:
            latest = earliest + 1
        count = rng.randint(*team.changes_per_release)
        if team.trunk:
            ages = sorted((rng.randint(*team.change_age_s) for _ in range(count)), reverse=True)
            for age in ages:
                self.trunk_commit(min(max(release_at - age, earliest), latest))
            return [c.mark for c in self.commits[made:]]
        merges = sorted(rng.randint(earliest, latest) for _ in range(count))
        for merged_at in merges:
            self.pull_request(
                merged_at - rng.randint(*team.change_age_s), merged_at, rng.randint(*team.commits_per_change)
            )
        return [c.mark for c in self.commits[made:] if len(c.parents) == 1]
