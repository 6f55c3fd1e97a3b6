"""What the metrics engine is configured with: settings that change numbers, and hooks for git data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from doralens.config import Settings
from doralens.domain.attribution import DEFAULT_MEDIUM_GAP_NS, DEFAULT_WINDOW_NS, ShippedBy
from doralens.domain.changefailure import DEFAULT_ROLLFORWARD_RULES, RollforwardRules
from doralens.domain.stats import DEFAULT_MIN_N_DURATIONS, DEFAULT_MIN_N_RATES
from doralens.domain.tiers import DEFAULT_REPORT_YEAR

# Bump when detection or attribution changes what it concludes from the same events: every stream is redone.
# 2: a deployment tagged deployment_type:rollback makes the one it replaced a change failure.
DERIVED_STATE_VERSION = 2


class CommitMessages(Protocol):
    """Commit messages by lowercase sha, for the shas asked about that git data knows (rollforward rules)."""

    def __call__(self, shas: Collection[str], /) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class GitHooks:
    """Where git data plugs in (a later piece of work): commit messages, and which deployment shipped a commit."""

    commit_messages: CommitMessages | None = None
    shipped_by: ShippedBy | None = None
    # Run first by every refresh: lead time off the request path, and fresh for the attribution that reads it. Its
    # second argument says when to stop early (between streams), as a server that shuts down asks.
    refresh_lead_times: Callable[[Collection[str | None] | None, Callable[[], bool]], None] | None = None


@dataclass(frozen=True)
class EngineConfig:
    """Definition choices the metrics depend on."""

    attribution_window_ns: int = DEFAULT_WINDOW_NS
    medium_gap_ns: int = DEFAULT_MEDIUM_GAP_NS
    rules: RollforwardRules = DEFAULT_ROLLFORWARD_RULES
    min_n_durations: int = DEFAULT_MIN_N_DURATIONS
    min_n_rates: int = DEFAULT_MIN_N_RATES
    tier_year: int = DEFAULT_REPORT_YEAR
    incident_ratio_headline: bool = False
    git: GitHooks = field(default_factory=GitHooks)

    @property
    def fingerprint(self) -> str:
        """Identifies every setting stored verdicts and attributions depend on (not those applied at read time)."""
        parts = {
            "algorithm": DERIVED_STATE_VERSION,
            "window": self.attribution_window_ns,
            "medium_gap": self.medium_gap_ns,
            "rules": [p.pattern for p in self.rules.patterns],
            "commit_messages": self.git.commit_messages is not None,
            "shipped_by": self.git.shipped_by is not None,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]

    @classmethod
    def from_settings(cls, settings: Settings, git: GitHooks | None = None) -> EngineConfig:
        """The engine configuration a server or command runs with."""
        return cls(
            attribution_window_ns=settings.attribution_window_seconds * 1_000_000_000,
            rules=RollforwardRules.compile(settings.rollforward_patterns),
            min_n_durations=settings.min_samples_durations,
            min_n_rates=settings.min_samples_rates,
            tier_year=settings.tier_year,
            incident_ratio_headline=settings.incident_ratio_headline,
            git=git or GitHooks(),
        )
