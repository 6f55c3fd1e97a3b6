"""Where the send commands send and with which keys: flags, doralens variables, then datadog-ci's."""

from __future__ import annotations

from pathlib import Path

import pytest

from doralens.cli.target import target_from_env
from doralens.client import DoralensClient
from doralens.errors import ConfigError


def test_target_prefers_doralens_variables() -> None:
    environ = {
        "DORALENS_URL": "https://dora.example/",
        "DD_SITE": "datadoghq.eu",
        "DORALENS_API_KEY": "doralens-key-0001",
        "DD_API_KEY": "dd-key",
    }
    target = target_from_env(environ)
    assert (target.url, target.api_key, target.ca_cert) == ("https://dora.example", "doralens-key-0001", None)
    assert "doralens-key-0001" not in repr(target)


def test_target_from_dd_site_as_datadog_ci_builds_it() -> None:
    assert target_from_env({"DD_SITE": "dora.example", "DD_API_KEY": "k"}).url == "https://api.dora.example"
    environ = {"DD_SITE": "a.example", "DATADOG_SITE": "b.example", "DD_API_KEY": "k1", "DATADOG_API_KEY": "k2"}
    target = target_from_env(environ)
    assert (target.url, target.api_key) == ("https://api.b.example", "k2")


def test_a_url_flag_beats_the_environment() -> None:
    assert target_from_env({"DORALENS_URL": "http://a", "DD_API_KEY": "k"}, url="http://b:8080").url == "http://b:8080"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DD_API_KEY": "k"}, "set DORALENS_URL"),
        ({"DORALENS_URL": "http://x"}, "no API key"),
        ({"DORALENS_URL": "dora.example", "DD_API_KEY": "k"}, "must start with http"),
        ({"DORALENS_URL": "http://x", "DD_API_KEY": "k", "DORALENS_CA_CERT": "/nonexistent/ca.pem"}, "not found"),
    ],
)
def test_target_problems_are_config_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        target_from_env(environ)


def test_a_ca_file_is_used_for_verification(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    target = target_from_env({"DORALENS_URL": "https://x", "DD_API_KEY": "k", "DORALENS_CA_CERT": str(ca)})
    assert target.ca_cert == ca
    DoralensClient(target).close()  # loads the file into an SSL context, or raises
