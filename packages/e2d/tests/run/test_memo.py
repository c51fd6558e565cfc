"""run/memo.py: a remembered fact is only ever read back for the same key, and a cache that cannot
be used costs time, never a wrong answer or an error (real files in a temporary cache directory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurora_e2d.run.memo import CACHE_ENV, cache_dir, remembered


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def derive() -> object:
        calls.append(1)
        return value

    return calls, derive


def test_a_key_seen_before_is_answered_from_the_cache(cache: Path) -> None:
    calls, derive = counting(["2013-01-02", "2013-01-03"])
    assert remembered("sessions", {"v": 1}, derive) == ["2013-01-02", "2013-01-03"]
    assert remembered("sessions", {"v": 1}, derive) == ["2013-01-02", "2013-01-03"]
    assert len(calls) == 1
    assert [p.name.startswith("sessions-") for p in cache.iterdir()] == [True]


def test_another_key_is_derived_again(cache: Path) -> None:
    remembered("dates", {"size": 1}, lambda: "old")
    assert remembered("dates", {"size": 2}, lambda: "new") == "new"
    assert remembered("dates", {"size": 1}, lambda: "unused") == "old"


def test_a_damaged_entry_is_derived_again_and_replaced(cache: Path) -> None:
    remembered("dates", {"k": 1}, lambda: "first")
    (entry,) = cache.iterdir()
    entry.write_text("{not json")
    assert remembered("dates", {"k": 1}, lambda: "again") == "again"
    assert remembered("dates", {"k": 1}, lambda: "unused") == "again"


def test_a_cache_path_that_is_a_file_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    assert remembered("dates", {"k": 1}, lambda: [1, 2]) == [1, 2]
    assert blocker.read_text() == ""


def test_the_cache_follows_xdg_when_not_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "aurora"
