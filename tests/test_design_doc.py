"""``docs/design.md`` names only modules, folders and objects that exist.

The design page is where a newcomer starts; a path it names that was renamed or removed
sends them to nothing. Every code path it names is checked: a folder or file
(``harness/runner/``, ``harness/core/atomic.py``), a bare module file name (``sampling.py``:
some package has it), or a dotted name (``harness.core.exploits``, or an object in a
module, ``harness.core.params.build_params``).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "design.md"
PACKAGES = ("harness", "attacks", "reports")
_CODE = re.compile(r"`([^`\s]+)`")
_PATH = re.compile(r"^(?:harness|attacks|reports|tests|benchmarks|docs)/[\w/.-]*$")
_FILE = re.compile(r"^[\w]+\.py$")
_DOTTED = re.compile(r"^(?:harness|attacks|reports)(?:\.\w+)+$")


def named() -> list[str]:
    """Backticked names, and dotted names anywhere (the flow diagram is a code block)."""
    text = DOC.read_text(encoding="utf-8")
    dotted = re.findall(r"\b(?:harness|attacks|reports)(?:\.\w+)+", text)
    return sorted({*_CODE.findall(text), *(d.rstrip(".") for d in dotted)})


def _resolves(dotted: str) -> bool:
    """A module, or an attribute chain on the longest importable module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def test_the_page_names_code_at_all():
    names = named()
    assert sum(bool(_PATH.match(n) or _DOTTED.match(n)) for n in names) >= 20


@pytest.mark.parametrize("name", [n for n in named() if _PATH.match(n)])
def test_every_path_exists(name):
    assert (ROOT / name.rstrip("/")).exists(), f"docs/design.md names {name}, which is not there"


@pytest.mark.parametrize("name", [n for n in named() if _FILE.match(n)])
def test_every_module_file_name_exists_in_a_package(name):
    found = [p for package in PACKAGES for p in (ROOT / package).rglob(name)]
    assert found, f"docs/design.md names {name}, which no package has"


@pytest.mark.parametrize("name", [n for n in named() if _DOTTED.match(n)])
def test_every_dotted_name_resolves(name):
    assert _resolves(name), f"docs/design.md names {name}, which does not resolve"
