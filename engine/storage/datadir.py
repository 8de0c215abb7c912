"""Where quizapp keeps its data: one folder per user, holding the review log.

The folder is, in order of precedence, the one given on the command line
(`--data-dir`), the one named by the environment variable `QUIZAPP_DATA_DIR` (handy for
tests, a second profile, or a synced folder), or the platform's per-user data folder
(`~/.local/share/quizapp` on Linux, `~/Library/Application Support/quizapp` on macOS).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import platformdirs

from engine.storage import StoreError

ENV_VAR: Final = "QUIZAPP_DATA_DIR"
DATABASE_NAME: Final = "quizapp.sqlite3"


def data_dir(override: Path | None = None) -> Path:
    """The data folder (created when missing): `override`, else `$QUIZAPP_DATA_DIR`, else the platform's.

    Raises StoreError, with the reason, when the folder cannot be created: progress must
    never be silently written somewhere unexpected.
    """
    if override is not None:
        path = override
    elif os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR])
    else:
        path = Path(platformdirs.user_data_dir("quizapp", appauthor=False))
    path = path.expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the data folder {path}: {error.strerror or error}") from error
    if not path.is_dir():
        raise StoreError(f"the data folder {path} is not a folder")
    return path


def database_path(folder: Path) -> Path:
    """The review log inside a data folder."""
    return folder / DATABASE_NAME
