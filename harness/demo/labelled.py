"""Where the judges' bundled labelled set lives (built from the held-out jokes).

``scripts/make_judges_labelled.py`` writes it (``harness.judges.labelled_build`` on
``jokes_heldout.jsonl`` with the template attacks' no-answer outputs); ``rmh judges
validate`` and a run's judge validation read it.
"""

from __future__ import annotations

from pathlib import Path

from harness.demo.build import data_path

LABELLED_FILE = "judges_labelled.jsonl"


def labelled_path() -> Path:
    """The bundled labelled set: 7 rows (good and six bad kinds) per held-out (prompt, joke)."""
    return data_path(LABELLED_FILE)
