"""One build path for every dbt build that shares a saved parse.

dbt keys its saved parse (partial_parse.msgpack) on the profile's connection, which holds the
DuckDB file's path: a new file every night would make dbt parse the whole project again (about
twice the time of a reused parse). So a build is moved to the fixed path `<slot>/build.duckdb`,
built there and moved back: a rename, on one file system. Views name no database
(macros/ref.sql), so the file keeps working under its own name.

A slot serves one build at a time (a lock, released when its process ends). When it is busy, or
on another file system, the build stays at its own path and dbt parses the whole project. A
process killed while dbt built leaves the file in the slot, with its path in `<slot>/origin`:
the next build through the slot moves it back first (return_leftover), unless a newer file
took its place. A file and its log move with Ctrl-C and SIGTERM held. Not guarded: a second
build of the same file through another slot while the first runs (the nightly run lock and
one target folder per warehouse-build prevent it).
"""

import errno
import fcntl
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SLOT_FILE = "build.duckdb"
ORIGIN_FILE = "origin"  # the path of the file in the slot
PARSE_FILE = "partial_parse.msgpack"
LOG_SUFFIX = ".wal"  # DuckDB's write-ahead log, beside its file: it moves with it
STOPS = {signal.SIGINT, signal.SIGTERM}  # held while a file and its log move (both or neither)


def move_database(source: Path, dest: Path) -> None:
    """Moves `source` and its write-ahead log to `dest`; a log at `dest` without one at
    `source` is removed (DuckDB would replay it into the wrong file)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        if source.exists():
            os.replace(source, dest)
        if Path(f"{source}{LOG_SUFFIX}").exists():
            os.replace(f"{source}{LOG_SUFFIX}", f"{dest}{LOG_SUFFIX}")
        else:
            Path(f"{dest}{LOG_SUFFIX}").unlink(missing_ok=True)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def slot_lock(slot: Path) -> Iterator[bool]:
    """Whether this process holds `slot` (False: another build is using it)."""
    slot.mkdir(parents=True, exist_ok=True)
    with open(slot / "slot.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def return_leftover(slot: Path, log: Callable[[str], None] = print) -> None:
    """What a process killed while dbt built left in `slot` goes back to its own path, so the
    caller finds it there as if the build had been killed in place (call it before preparing the
    build file). A slot in use is left alone."""
    with slot_lock(slot) as held:
        if held:
            _return_leftover(slot, log)


def _return_leftover(slot: Path, log: Callable[[str], None]) -> None:
    """With the slot held: its file and log go back to the path in `origin` where that path has
    none (a newer one there wins); what cannot go back is removed, and said."""
    fixed, origin = slot / SLOT_FILE, slot / ORIGIN_FILE
    owner = Path(origin.read_text()) if origin.exists() else None
    for part in (fixed, Path(f"{fixed}{LOG_SUFFIX}")):
        if not part.exists():
            continue
        back = Path(f"{owner}{part.name.removeprefix(SLOT_FILE)}") if owner else None
        if back and not back.exists():
            os.replace(part, back)
            log(f"{back} was left in {slot} by a build that was killed: moved back")
        else:
            part.unlink()
            log(
                f"removed {part}, left by a build that was killed ({'a newer file is at ' + str(back) if back else 'its path unknown'})"
            )
    shutil.rmtree(f"{fixed}.tmp", ignore_errors=True)  # DuckDB's spill folder
    origin.unlink(missing_ok=True)


@contextmanager
def fixed_build_path(build_file: Path, slot: Path, log: Callable[[str], None] = print) -> Iterator[Path]:
    """The path dbt should build `build_file` at: `slot`/build.duckdb, with `build_file` moved
    there (when it exists) and back afterwards, however the build ends; `build_file` itself
    when the slot is busy or on another file system."""
    build_file, fixed = Path(build_file).resolve(), slot.resolve() / SLOT_FILE
    with slot_lock(slot) as held:
        if not held or build_file == fixed:
            yield build_file
            return
        _return_leftover(slot, log)
        origin = slot / ORIGIN_FILE
        origin.write_text(str(build_file))
        try:
            move_database(build_file, fixed)
        except OSError as e:  # another file system (a bind mount shares st_dev)
            if e.errno != errno.EXDEV:
                raise
            origin.unlink()
            yield build_file
            return
        try:
            yield fixed
        finally:
            move_database(fixed, build_file)
            origin.unlink()


def restore_parse(slot: Path, target: Path) -> None:
    """The slot's saved parse into dbt's target folder `target`, unless it holds one."""
    saved, dest = slot / PARSE_FILE, target / PARSE_FILE
    if saved.exists() and not dest.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, dest)


def keep_parse(target: Path, slot: Path) -> None:
    """dbt's saved parse in `target` into the slot, replaced at once (the next build reads it)."""
    written = target / PARSE_FILE
    if written.exists():
        staged = slot / f".{PARSE_FILE}.{os.getpid()}"
        shutil.copyfile(written, staged)
        os.replace(staged, slot / PARSE_FILE)
