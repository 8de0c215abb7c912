"""Reading a deck file safely: a regular file, at most `MAX_DECK_BYTES`, UTF-8.

A deck is untrusted input: a FIFO would block forever and `/dev/zero` never ends, so
only regular files are read, and the size limit is enforced while reading (`st_size`
says 0 for a device).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from engine.errors import EngineError

if TYPE_CHECKING:
    pass

MAX_DECK_BYTES: Final = 2_000_000


class DeckFileError(EngineError):
    """A deck file that cannot be read as text: missing, not a regular file, too large, not UTF-8."""


def read_deck_bytes(path: Path) -> bytes:
    """The bytes of the deck file at `path`; raises DeckFileError.

    Only a regular file is read (a FIFO would block until someone writes to it, a device
    such as `/dev/zero` never ends), and at most `MAX_DECK_BYTES` + 1 bytes of it: the size
    the file system reports is not trusted (it is 0 for a device, and a file may grow).
    The file is opened without blocking and checked through the open descriptor, so a
    FIFO swapped in after a check is refused too.
    """
    import os
    import stat

    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise DeckFileError(f"cannot read: {error.strerror or error}") from error
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISREG(mode):
            with os.fdopen(descriptor, "rb", closefd=False) as file:
                data = file.read(MAX_DECK_BYTES + 1)
    except OSError as error:
        raise DeckFileError(f"cannot read: {error.strerror or error}") from error
    finally:
        os.close(descriptor)
    if not stat.S_ISREG(mode):
        raise DeckFileError(f"cannot read: {_file_kind(mode)}, not a regular file")
    if len(data) > MAX_DECK_BYTES:
        raise DeckFileError(f"file is too large to be a deck (over {MAX_DECK_BYTES:,} bytes)")
    return data


def _file_kind(mode: int) -> str:
    import stat

    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def decode_deck(data: bytes) -> str:
    """A deck's bytes as text; raises DeckFileError when they are not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DeckFileError(f"not UTF-8 text: {error.reason} at byte {error.start}") from error
