"""Repository URLs: credentials stripped, ``repository_id`` normalised; failure match subjects."""

from __future__ import annotations

import pytest

from doralens.domain.events import Failure, repository_id, sanitize_repository_url


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://user:token@github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("https://ghp_abc123@github.com/org/repo", "https://github.com/org/repo"),
        ("https://github.com/org/repo?private_token=abc#x", "https://github.com/org/repo"),
        (
            "https://oauth2:glpat-xyz@gitlab.example.com:8443/g/sub/repo.git",
            "https://gitlab.example.com:8443/g/sub/repo.git",
        ),
        ("ssh://git:pw@host.example/org/repo.git", "ssh://git@host.example/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("deploy:secret@github.com:org/repo.git", "deploy@github.com:org/repo.git"),
    ],
)
def test_credentials_are_stripped(url: str, clean: str) -> None:
    assert sanitize_repository_url(url) == clean


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/organization/example-repository", "github.com/organization/example-repository"),
        ("https://GitHub.com/org/repo.git/", "github.com/org/repo"),
        ("git@github.com:org/repo.git", "github.com/org/repo"),
        ("ssh://git@gitlab.example.com:2222/group/sub/repo.git", "gitlab.example.com/group/sub/repo"),
        ("https://gitlab.example.com:8443/g/repo", "gitlab.example.com/g/repo"),
    ],
)
def test_repository_id(url: str, expected: str) -> None:
    assert repository_id(url) == expected


def test_match_subjects_prefer_services_over_team() -> None:
    assert Failure(id="f" * 16, started_at=1, services=("a", "b"), team="t").match_subjects() == (
        "service:a",
        "service:b",
    )
    assert Failure(id="f" * 16, started_at=1, team="t").match_subjects() == ("team:t",)
