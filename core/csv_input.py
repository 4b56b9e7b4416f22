"""Reading a user's CSV file as text, every problem a sentence: the one reader behind the
``anomalies`` and ``flaky`` commands (each names its own error type)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.errors import CIMedicError

__all__ = ["read_text_csv"]


def read_text_csv(path: Path, error: type[CIMedicError]) -> pd.DataFrame:
    """Every cell as the exact text of the file; ``error`` (with one sentence) for a folder, a
    missing, empty, non-UTF-8, malformed or unreadable file."""
    if path.is_dir():
        raise error(f"{path} is a folder; give the path of a CSV file.")
    if not path.exists():
        raise error(f"There is no file {path}; give the path of a CSV file.")
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise error(f"{path} is empty; a CSV file with a header row is needed.") from None
    except UnicodeDecodeError:
        raise error(f"{path} is not a UTF-8 text file, so it is no CSV file.") from None
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split())
        raise error(f"{path} is not a well-formed CSV file ({detail}).") from None
    except OSError as exc:
        raise error(f"Cannot read {path} ({exc.strerror or exc}).") from None
