"""Writing files so that a crash never leaves half of one: :func:`atomic_write`.

Used for checkpoints, downloads and the HTML stepper.  The temporary file is
``.NAME.HOST.PID.RANDOM.tmp`` beside the target: a writer killed mid-write (SIGKILL,
power cut) leaves one behind, and the next write to the same target from the same
host removes every such file whose writer is no longer alive.  Files of other hosts
(a folder shared over a network) are left alone: their pids mean nothing here.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# Names of this process's temporary files still being written: one with our pid that
# is not listed here was left by an earlier process that had the same pid.
_WRITING: set[str] = set()
_WRITING_LOCK = threading.Lock()
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63] or "host"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 checks without sending anything); a killed
    process counts until its parent has reaped it."""
    if os.name == "nt":  # there os.kill(pid, 0) would terminate the process: assume it lives
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def _remove_stale(target: Path) -> None:
    """Remove the temporary files of dead writers of ``target``; never a live writer's."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{re.escape(_HOST)}\.(\d+)\.[0-9a-f]+\.tmp")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:  # no such folder: _create says so, naming the target
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        with _WRITING_LOCK:
            live = entry.name in _WRITING if pid == os.getpid() else _alive(pid)
        if not live:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:  # another writer cleaned it first
                pass


def _create(target: Path) -> tuple[int, str]:
    """A new, empty temporary file beside ``target``, listed in ``_WRITING`` before it
    exists; created with mode 0666 so that the kernel applies the umask in force now.
    An error names ``target``, not the temporary file."""
    while True:
        name = f".{target.name}.{_HOST}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        with _WRITING_LOCK:
            _WRITING.add(name)
        tmp = os.path.join(target.parent, name)
        try:
            return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except OSError as e:
            with _WRITING_LOCK:
                _WRITING.discard(name)
            if isinstance(e, FileExistsError):
                continue
            if e.errno == errno.ENOENT or not target.parent.is_dir():
                reason = f"the folder {str(target.parent)!r} does not exist"
            else:
                reason = f"{e.strerror} (creating a temporary file in {str(target.parent)!r})"
            raise type(e)(e.errno, f"cannot write {str(target)!r}: {reason}") from None


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb",
                 encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; when the block ends without
    an exception, flush it to disk and rename it over ``path``.  On an exception the
    temporary file is removed and ``path`` is left as it was.

    A new file gets the permissions of any new file (0666 less the umask in force);
    a replaced file keeps its mode.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with atomic_write(os.path.join(folder, "a.txt"), "w") as f:
    ...     _ = f.write("whole")
    >>> open(os.path.join(folder, "a.txt")).read(), len(os.listdir(folder))
    ('whole', 1)
    """
    target = Path(path)
    _remove_stale(target)
    fd, tmp = _create(target)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            try:
                os.chmod(tmp, os.stat(target).st_mode & 0o7777)
            except FileNotFoundError:
                pass  # a new file: it keeps the mode it was created with
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:  # renamed into place
            pass
        with _WRITING_LOCK:
            _WRITING.discard(os.path.basename(tmp))
