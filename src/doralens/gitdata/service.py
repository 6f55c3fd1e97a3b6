"""``GitData``: everything change lead time needs, built once from the settings and the database.

It holds the commit sources (uploaded metadata, then the repositories the server reads), the stores of uploads
and of lead-time records, and the refresh; ``hooks()`` plugs them into the metrics engine: the lead-time refresh
before each refresh of verdicts, commit-range attribution, and commit subjects for the rollforward rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass

from doralens.config import Settings
from doralens.domain.events import repository_id
from doralens.gitdata.commits import CommitSource
from doralens.gitdata.leadtime import LeadTimeSettings
from doralens.gitdata.local import LocalRepositories
from doralens.gitdata.mirrors import MirrorManager, split_credentials
from doralens.gitdata.payload import CommitUpload
from doralens.gitdata.records import SqlLeadTimeStore
from doralens.gitdata.refresh import LeadTimeRefresh, refresh_lead_times
from doralens.gitdata.sources import ChainedSource, CommitSubjects
from doralens.gitdata.uploaded import SqlCommitStore
from doralens.metrics.config import EngineConfig, GitHooks
from doralens.store.dialect import Backend
from doralens.store.leadtime import SqlLeadTimeState

NS = 1_000_000_000
# Bump when the way records are computed changes: every stream's lead time is then recomputed.
LEAD_TIME_VERSION = 1


def lead_time_settings(settings: Settings) -> LeadTimeSettings:
    """How lead time is measured, from the server settings."""
    paths: dict[str, tuple[str, ...]] = {}
    for service, path in settings.lead_time_paths:
        paths[service] = (*paths.get(service, ()), path)
    return LeadTimeSettings(
        max_baseline_age_ns=settings.lead_time_max_baseline_age_seconds * NS,
        rebase_gap_ns=settings.lead_time_rebase_gap_seconds * NS,
        service_paths=paths,
    )


@dataclass(frozen=True)
class UploadResult:
    """What a commit upload did: the repository it was filed under, commits new and known, streams to redo."""

    repository_id: str
    received: int
    added: int
    retried_streams: int


@dataclass
class GitData:
    """Commit sources, upload and record stores, and the lead-time refresh of one server."""

    settings: LeadTimeSettings
    uploads: SqlCommitStore
    records: SqlLeadTimeStore
    state: SqlLeadTimeState
    local: LocalRepositories
    source: CommitSource
    fingerprint: str
    settled: bool = False  # the stored fingerprint was found equal to ours: no need to read it again

    @classmethod
    def open(cls, settings: Settings, backend: Backend) -> GitData:
        """Build from the settings; nothing is cloned or read until a range is asked for."""
        mirrors = MirrorManager.from_urls(settings.git_data_dir, settings.git_remotes) if settings.git_remotes else None
        local = LocalRepositories(dict(settings.git_repositories), mirrors=mirrors)
        uploads = SqlCommitStore(backend)
        chain: list[tuple[str, CommitSource]] = [("uploaded commits", uploads)]
        if settings.git_repositories or settings.git_remotes:
            chain.append(("repositories", local))
        measured = lead_time_settings(settings)
        # The sources are part of what records depend on: a repository configured later completes old ones.
        parts = {
            "version": LEAD_TIME_VERSION,
            "max_age": measured.max_baseline_age_ns,
            "gap": measured.rebase_gap_ns,
            "limit": measured.limit,
            "paths": sorted(settings.lead_time_paths),
            "repositories": sorted(r for r, _ in settings.git_repositories),
            "remotes": sorted(repository_id(split_credentials(url)[0]) for url in settings.git_remotes),
        }
        fingerprint = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]
        return cls(
            settings=measured,
            uploads=uploads,
            records=SqlLeadTimeStore(backend),
            state=SqlLeadTimeState(backend),
            local=local,
            source=ChainedSource(chain),
            fingerprint=fingerprint,
        )

    def refresh(
        self, envs: Collection[str | None] | None = None, stop: Callable[[], bool] | None = None
    ) -> LeadTimeRefresh:
        """Recompute the lead time of stale streams (all of them first, when the settings changed); ``stop`` ends
        it early, between streams."""
        if not self.settled:
            if self.state.fingerprint() != self.fingerprint:
                self.state.invalidate(self.fingerprint)
            self.settled = True
        return refresh_lead_times(state=self.state, source=self.source, settings=self.settings, envs=envs, stop=stop)

    def upload(self, upload: CommitUpload) -> UploadResult:
        """Store uploaded commits, and mark stale the streams whose records they may complete."""
        repository = upload.repository_id
        commits = upload.to_commits()
        added = self.uploads.add_commits(repository, commits)
        retried = self.state.retry_repository(repository) if added else 0
        return UploadResult(repository, len(commits), added, retried)

    def hooks(self) -> GitHooks:
        """The engine's hooks: lead time refreshed first, commit-range attribution, and commit subjects."""
        return GitHooks(
            commit_messages=CommitSubjects(self.uploads, self.local),
            shipped_by=self.records.shipped_by,
            refresh_lead_times=self._refresh_quietly,
        )

    def _refresh_quietly(self, envs: Collection[str | None] | None, stop: Callable[[], bool]) -> None:
        self.refresh(envs, stop)


def engine_config(settings: Settings, backend: Backend) -> tuple[EngineConfig, GitData]:
    """The metrics engine's configuration with git data plugged in, and the git data itself."""
    git = GitData.open(settings, backend)
    return EngineConfig.from_settings(settings, git=git.hooks()), git
