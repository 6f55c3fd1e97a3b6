"""Rendering: the JSON twin carries the page's data; embedded JSON cannot end its script element."""

from __future__ import annotations

import json

from doralens.web.render import _json_script, _ticks


def test_embedded_json_cannot_close_the_script() -> None:
    text = str(_json_script({"name": "</script><script>alert(1)</script>", "amp": "a&b"}))
    assert "</" not in text
    assert "<" not in text
    assert "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "amp": "a&b"}


def test_backticks_become_code_and_the_rest_is_escaped() -> None:
    assert str(_ticks("run `doralens <x>` & wait")) == "run <code>doralens &lt;x&gt;</code> &amp; wait"
