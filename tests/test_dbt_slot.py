"""A build moves to its slot's fixed path for dbt and back, however dbt ends."""

import errno
import fcntl
from pathlib import Path

import pytest

from orchestration import dbt_slot
from orchestration.dbt_runner import target_folder
from orchestration.dbt_slot import (
    ORIGIN_FILE,
    PARSE_FILE,
    SLOT_FILE,
    fixed_build_path,
    keep_parse,
    move_database,
    restore_parse,
    return_leftover,
)
from tiering.project import PROJECT_DIR

pytestmark = pytest.mark.fast  # the quick tier: make test-fast


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_build_and_its_log_move_to_the_slot_and_back(tmp_path):
    build, slot = write(tmp_path / "w-2026-06-30.duckdb", "night"), tmp_path / "slot"
    write(Path(f"{build}.wal"), "log")
    with fixed_build_path(build, slot) as at:
        assert at == slot / SLOT_FILE and at.read_text() == "night" and Path(f"{at}.wal").read_text() == "log"
        assert not build.exists() and not Path(f"{build}.wal").exists()
        write(at, "built")
        Path(f"{at}.wal").unlink()  # dbt closed the file: its log was checkpointed
    assert build.read_text() == "built" and not Path(f"{build}.wal").exists()
    assert sorted(p.name for p in slot.iterdir()) == ["slot.lock"]


def test_a_new_build_made_in_the_slot_comes_back(tmp_path):
    build = tmp_path / "w.duckdb"
    with fixed_build_path(build, tmp_path / "slot") as at:
        assert not at.exists()
        write(at, "built")
    assert build.read_text() == "built"


def test_the_build_comes_back_when_dbt_fails(tmp_path):
    build = write(tmp_path / "w.duckdb", "night")
    with pytest.raises(RuntimeError), fixed_build_path(build, tmp_path / "slot") as at:
        write(Path(f"{at}.wal"), "unfinished")
        raise RuntimeError("dbt was killed")
    assert build.read_text() == "night" and Path(f"{build}.wal").read_text() == "unfinished"


def test_what_a_killed_process_left_in_the_slot_is_never_taken_for_the_build(tmp_path):
    slot = tmp_path / "slot"
    slot.mkdir()
    write(slot / SLOT_FILE, "someone else's half-built night")
    write(slot / f"{SLOT_FILE}.wal", "its log")
    build = write(tmp_path / "w.duckdb", "night")  # no log of its own
    with fixed_build_path(build, slot) as at:
        assert at.read_text() == "night" and not Path(f"{at}.wal").exists()
    new = tmp_path / "new.duckdb"
    write(slot / SLOT_FILE, "left behind, its path unknown")
    with fixed_build_path(new, slot) as at:
        assert not at.exists()
    assert not new.exists()


def test_a_file_left_in_the_slot_goes_back_to_its_path_unless_a_newer_one_is_there(tmp_path):
    slot, killed, said = tmp_path / "slot", write(tmp_path / "users.duckdb", "the only copy"), []
    write(Path(f"{killed}.wal"), "its log")
    with fixed_build_path(killed, slot):
        pass
    write(slot / ORIGIN_FILE, str(killed))  # as a process killed while dbt built leaves it
    move_database(killed, slot / SLOT_FILE)
    return_leftover(slot, said.append)  # before the caller prepares its build file
    assert killed.read_text() == "the only copy" and Path(f"{killed}.wal").read_text() == "its log"
    assert said == [
        f"{killed} was left in {slot} by a build that was killed: moved back",
        f"{killed}.wal was left in {slot} by a build that was killed: moved back",
    ]
    write(slot / ORIGIN_FILE, str(killed))
    write(slot / SLOT_FILE, "half-built, since rebuilt")
    with fixed_build_path(tmp_path / "other.duckdb", slot, said.append):
        assert killed.read_text() == "the only copy"
    assert said[-1] == f"removed {slot / SLOT_FILE}, left by a build that was killed (a newer file is at {killed})"
    assert sorted(p.name for p in slot.iterdir()) == ["slot.lock"]


def test_a_log_left_by_an_interrupted_move_goes_back_to_its_file(tmp_path):
    """The file moved back, its log not yet: the log follows it, never removed."""
    slot, build = tmp_path / "slot", write(tmp_path / "w.duckdb", "night")
    slot.mkdir()
    write(slot / ORIGIN_FILE, str(build))
    write(slot / f"{SLOT_FILE}.wal", "committed work")
    return_leftover(slot, lambda line: None)
    assert Path(f"{build}.wal").read_text() == "committed work" and build.read_text() == "night"


def test_a_slot_in_use_keeps_its_file(tmp_path):
    slot = tmp_path / "slot"
    slot.mkdir()
    write(slot / ORIGIN_FILE, str(tmp_path / "w.duckdb"))
    write(slot / SLOT_FILE, "being built")
    with open(slot / "slot.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        return_leftover(slot, lambda line: None)
    assert (slot / SLOT_FILE).read_text() == "being built" and not (tmp_path / "w.duckdb").exists()


def test_a_build_at_the_slots_own_path_stays_there(tmp_path):
    slot = tmp_path / "slot"
    slot.mkdir()
    build = write(slot / SLOT_FILE, "the user's file")
    with fixed_build_path(build, slot) as at:
        assert at == build and build.read_text() == "the user's file"
    assert build.read_text() == "the user's file"


def test_a_slot_on_another_file_system_leaves_the_build_at_its_own_path(tmp_path, monkeypatch):
    build, slot = write(tmp_path / "w.duckdb", "night"), tmp_path / "slot"

    def cross_device(source, dest):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(dbt_slot.os, "replace", cross_device)
    with fixed_build_path(build, slot) as at:
        assert at == build.resolve() and build.read_text() == "night"
    assert sorted(p.name for p in slot.iterdir()) == ["slot.lock"]


def test_a_busy_slot_leaves_the_build_at_its_own_path(tmp_path):
    slot, build = tmp_path / "slot", write(tmp_path / "w.duckdb", "night")
    slot.mkdir()
    with open(slot / "slot.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with fixed_build_path(build, slot) as at:
            assert at == build and build.read_text() == "night"
    assert not (slot / SLOT_FILE).exists()


def test_the_saved_parse_goes_from_the_slot_to_the_target_and_back(tmp_path):
    slot, target = tmp_path / "slot", tmp_path / "run-1"
    slot.mkdir()
    restore_parse(slot, target)  # nothing saved yet
    assert not target.exists()
    write(slot / PARSE_FILE, "last night's parse")
    restore_parse(slot, target)
    assert (target / PARSE_FILE).read_text() == "last night's parse"
    write(target / PARSE_FILE, "tonight's parse")
    restore_parse(slot, target)  # dbt's own is never replaced
    assert (target / PARSE_FILE).read_text() == "tonight's parse"
    keep_parse(target, slot)
    assert (slot / PARSE_FILE).read_text() == "tonight's parse"
    assert sorted(p.name for p in slot.iterdir()) == [PARSE_FILE]


def test_warehouse_builds_slot_is_dbts_target_folder():
    """Where dbt saves its parse: --target-path, else $DBT_TARGET_PATH, else the project's target/."""
    assert target_folder({}, []) == PROJECT_DIR / "target"
    assert target_folder({"DBT_TARGET_PATH": "/t/a"}, ["--select", "x"]) == Path("/t/a")
    assert target_folder({"DBT_TARGET_PATH": "/t/a"}, ["--target-path", "/t/b", "--select", "x"]) == Path("/t/b")
    assert target_folder({}, ["--target-path=relative"]) == PROJECT_DIR / "relative"
