"""Owner-only folders and files for what the running dashboard writes (uploads, audit log, sign-in state).

Restricted partner rows, uploader names and the audit log must not be readable by other accounts on
the server. Folders are created ``0700`` and files ``0600`` whatever the process umask; a folder or
file this process owns that was left more open (by an older version) is tightened when opened.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "tighten"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def tighten(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it is ours and more open than that (never raises)."""
    with contextlib.suppress(OSError):
        st = os.stat(path)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & ~mode:
            os.chmod(path, mode)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) owner-only; tighten it if it exists and is ours.

    Only the last folder is forced to 0700: parents created here are 0700 too, existing ones are
    left alone (e.g. a shared volume's mount point).
    """
    path = Path(path)
    if not path.is_dir():
        old = os.umask(0o077)
        try:
            path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        finally:
            os.umask(old)
    tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists as an owner-only file (created empty if missing), in an owner-only folder."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    tighten(path, FILE_MODE)
    return path
