"""``docs/run-log.md`` documents exactly the fields of the entry dataclasses."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from harness.runlog import ENTRY_TYPES

DOC = Path(__file__).parents[3] / "docs" / "run-log.md"
_HEADING = re.compile(r"^### `([a-z_]+)`\s*$")
_ROW = re.compile(r"^\| `([a-z_]+)` \|")


def documented() -> tuple[set[str], dict[str, set[str]]]:
    """Fields in the table every entry shares, and per ``### `type``` heading."""
    common: set[str] = set()
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    in_entry_types = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_entry_types = line.strip() == "## Entry types"
            current = None
            continue
        heading = _HEADING.match(line)
        if heading and in_entry_types:
            current = sections.setdefault(heading.group(1), set())
            continue
        row = _ROW.match(line)
        if row and in_entry_types:
            (common if current is None else current).add(row.group(1))
    return common, sections


def test_every_entry_type_has_a_section_and_every_section_an_entry_type():
    _, sections = documented()
    assert list(sections) == list(ENTRY_TYPES)


def test_the_fields_every_entry_has_are_documented_once():
    common, _ = documented()
    assert common == {"type", "time"}


def test_every_field_is_documented_under_its_type_and_every_documented_field_exists():
    _, sections = documented()
    for kind, cls in ENTRY_TYPES.items():
        fields = {f.name for f in dataclasses.fields(cls)} - {"time"} | set(cls.DERIVED)
        missing = fields - sections[kind]
        extra = sections[kind] - fields
        assert not missing, f"docs/run-log.md: `{kind}` does not document {sorted(missing)}"
        assert not extra, f"docs/run-log.md: `{kind}` documents unknown {sorted(extra)}"
