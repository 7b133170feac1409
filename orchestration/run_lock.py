"""One run at a time per warehouse home: a lock file that names its holder.

The holder is a run id with the pid and host of its process. A second run fails at once with
one line naming the holder; a lock whose process is gone (same host, dead pid) is stale and
taken over, and so is one of an earlier run of this same process (Dagster runs in-process one
after the other). The same run id may take the lock again (each step of a run does).
"""

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path


class LockHeld(Exception):
    """Another run holds the warehouse home."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_holder(lock: Path) -> dict | None:
    try:
        return json.loads(lock.read_text())
    except FileNotFoundError:
        return None
    except ValueError:  # a half-written lock: its writer died before finishing
        return {}


def describe(holder: dict) -> str:
    return (
        f"run {holder.get('run_id', '?')} (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
        f"since {holder.get('started_at', '?')})"
    )


def acquire(lock: Path, run_id: str, log=print) -> dict:
    """Take the lock for `run_id`, or raise LockHeld naming the live holder."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    me = {
        "run_id": run_id,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = read_holder(lock)
            if holder is None:
                continue  # released meanwhile
            if holder.get("run_id") == run_id:
                me["started_at"] = holder.get("started_at", me["started_at"])
                _write(lock, me)
                return me
            pid = holder.get("pid")
            if holder.get("host") not in (None, me["host"]) or (pid and pid != me["pid"] and _alive(pid)):
                raise LockHeld(f"another run holds {lock}: {describe(holder)}; wait for it or stop it") from None
            log(f"taking over stale lock {lock} of {describe(holder)}: that run has ended")
            _write(lock, me)
            return me
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(me))
        return me


def _write(lock: Path, holder: dict) -> None:
    tmp = lock.with_name(f".{lock.name}.{os.getpid()}")
    tmp.write_text(json.dumps(holder))
    os.replace(tmp, lock)


def release(lock: Path, run_id: str) -> None:
    holder = read_holder(lock)
    if holder is not None and holder.get("run_id") == run_id:
        lock.unlink(missing_ok=True)
