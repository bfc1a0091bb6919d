"""Writing result tables safely: CSV cells cannot become spreadsheet formulas.

Attack text is attacker-controlled. A cell starting with ``= + - @`` (or tab / CR) is run
as a formula by Excel and LibreOffice, so string cells get a leading apostrophe (OWASP's
advice). Numeric columns stay numeric: ``-0.5`` is a score, not a formula.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.core.errors import HarnessError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralize_cell)
    return out


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write by extension: .csv (formula-safe), .jsonl, .parquet."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            neutralize_formulas(frame).to_csv(path, index=False)
        elif suffix in (".jsonl", ".json"):
            frame.to_json(path, orient="records", lines=True, force_ascii=False)
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            raise HarnessError(f"cannot write {path.name}: use a .csv, .jsonl or .parquet path")
    except ImportError as exc:
        raise HarnessError(f"cannot write {path.name}: {exc}") from None
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
