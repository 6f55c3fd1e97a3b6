"""Stream keys and the set of streams a change touches."""

from __future__ import annotations

from doralens.domain.streams import StreamKey, env_from_key, env_key, touch


def test_an_env_key_stands_for_its_env_and_none_for_no_env() -> None:
    assert [env_key(e) for e in ("prod", None)] == ["prod", ""]
    assert [env_from_key(k) for k in ("prod", "")] == ["prod", None]


def test_touching_keeps_the_earliest_time_of_each_stream() -> None:
    found: dict[StreamKey, int] = {("web", "prod"): 50}
    touch(found, [("web", "prod"), ("api", None)], 70)
    touch(found, [("web", "prod")], 10)
    assert found == {("web", "prod"): 10, ("api", None): 70}
