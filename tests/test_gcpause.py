"""``automatic_collection_off``: collection paused in the block, and left as it was found afterwards."""

from __future__ import annotations

import gc

import pytest

from doralens.gcpause import automatic_collection_off


def test_collection_is_off_in_the_block_and_back_on_after() -> None:
    assert gc.isenabled()
    with automatic_collection_off():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_in_the_block_turns_collection_back_on() -> None:
    with pytest.raises(RuntimeError), automatic_collection_off():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_collection_found_off_is_left_off() -> None:
    gc.disable()
    try:
        with automatic_collection_off(), automatic_collection_off():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
