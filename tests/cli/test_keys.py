"""``doralens keys``: keys are printed once, stored as hashes, listed without secrets, revoked."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from doralens.cli import app
from doralens.domain.keys import hash_key
from doralens.store.factory import open_store


def test_keys_create_list_revoke(env: str) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "--kind", "app", "--name", "grafana"])
    assert created.exit_code == 0, created.output
    secret = re.findall(r"\b[0-9a-f]{40}\b", created.output)[0]

    store = open_store(env)
    record = store.find_key(hash_key(secret))
    assert record is not None
    assert record.kind == "app"
    with store.backend.reader.connect() as conn:
        assert secret not in str(conn.exec_driver_sql("select * from api_keys").all())
    store.close()

    listed = runner.invoke(app, ["keys", "list"])
    assert "grafana" in listed.output
    assert secret not in listed.output
    assert secret[-4:] in listed.output

    revoked = runner.invoke(app, ["keys", "revoke", record.id])
    assert revoked.exit_code == 0
    store = open_store(env)
    again = store.find_key(hash_key(secret))
    store.close()
    assert again is not None
    assert again.revoked_at is not None

    assert runner.invoke(app, ["keys", "revoke", "no-such-key"]).exit_code == 1
