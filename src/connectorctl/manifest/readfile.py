"""Reading input files safely: regular files only, size bounded while reading.

A FIFO would block `open()` forever, `/dev/zero` never ends, and files under `/proc` report a
size of 0: so the kind of file is checked before and after opening (without blocking), and the
size is whatever was actually read, never `st_size`.
"""

from __future__ import annotations

import os
import stat


class UnreadableFile(Exception):
    """The file cannot be used; the message says why, without the file's name."""


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; UnreadableFile otherwise."""
    try:
        _require_regular(os.stat(path).st_mode)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    try:
        _require_regular(os.fstat(fd).st_mode)  # it may have been swapped since the stat
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnreadableFile(f"file is larger than {_size(limit)}")
    return data


def _require_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise UnreadableFile(f"not a regular file ({_kind(mode)}); it was not read")


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    )
    return next((name for test, name in kinds if test(mode)), "not a file")


def _size(limit: int) -> str:
    mib, rest = divmod(limit, 1024 * 1024)
    return f"{mib} MiB" if not rest and mib else f"{limit} bytes"
