"""One build path for every dbt build that shares a saved parse.

dbt keys its saved parse (partial_parse.msgpack) on the profile's connection, which holds the
DuckDB file's path: a new file every night would make dbt parse the whole project again (about
twice the time of a reused parse). So a build is moved to the fixed path `<slot>/build.duckdb`,
built there and moved back: a rename, on one file system. Views name no database
(macros/ref.sql), so the file keeps working under its own name.

A slot serves one build at a time (a lock, released when its process ends). When it is busy, or
on another file system, the build stays at its own path and dbt parses the whole project. A
process killed while dbt built leaves the file in the slot, with its path in `<slot>/origin`:
the next build through the slot moves it back there, unless a newer file took its place.
"""

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SLOT_FILE = "build.duckdb"
ORIGIN_FILE = "origin"  # the path of the file in the slot
PARSE_FILE = "partial_parse.msgpack"
DUCKDB_SIDECARS = ("", ".wal")  # the database and its write-ahead log: they move together


def move_database(source: Path, dest: Path) -> None:
    """Moves `source` and its write-ahead log to `dest`; a log at `dest` without one at
    `source` is removed (DuckDB would replay it into the wrong file)."""
    for suffix in DUCKDB_SIDECARS:
        src, dst = Path(f"{source}{suffix}"), Path(f"{dest}{suffix}")
        if src.exists():
            os.replace(src, dst)
        else:
            dst.unlink(missing_ok=True)


def remove_database(path: Path) -> None:
    for suffix in DUCKDB_SIDECARS:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def fixed_build_path(build_file: Path, slot: Path, log: Callable[[str], None] = print) -> Iterator[Path]:
    """The path dbt should build `build_file` at: `slot`/build.duckdb, with `build_file` moved
    there (when it exists) and back afterwards, however the build ends; `build_file` itself
    when the slot is busy or on another file system."""
    build_file = Path(build_file).resolve()
    slot.mkdir(parents=True, exist_ok=True)
    if os.stat(slot).st_dev != os.stat(build_file.parent).st_dev:
        yield build_file
        return
    with open(slot / "slot.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield build_file
            return
        fixed, origin = slot / SLOT_FILE, slot / ORIGIN_FILE
        returned = return_leftover(fixed, origin)
        if returned:
            log(f"{returned} was left in {slot} by a build that was killed: moved back")
        origin.write_text(str(build_file))
        move_database(build_file, fixed)
        try:
            yield fixed
        finally:
            move_database(fixed, build_file)
            origin.unlink()


def return_leftover(fixed: Path, origin: Path) -> Path | None:
    """A file a killed process left at `fixed` goes back to its path (`origin`), unless a newer
    file is there: then, and without a known path, it is removed. Returns the path it went to."""
    owner = Path(origin.read_text()) if origin.exists() else None
    returned = fixed.exists() and owner and not owner.exists()
    if returned:
        move_database(fixed, owner)
    remove_database(fixed)
    origin.unlink(missing_ok=True)
    return owner if returned else None


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
