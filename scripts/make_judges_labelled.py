"""Rebuild the judges' bundled labelled set: ``python scripts/make_judges_labelled.py``.

Writes ``harness/demo/data/judges_labelled.jsonl``: ``harness.judges.labelled_build`` on
the demo's held-out jokes (``jokes_heldout.jsonl``, the split no judge has seen), with
the template attacks' no-answer outputs as the ``template`` rows, seed ``SEED``. A test
rebuilds it and compares the bytes, so the bundled file is always exactly this.
"""

from __future__ import annotations

from attacks.templates import no_answer_templates
from harness.demo.build import heldout_pairs
from harness.demo.labelled import labelled_path
from harness.judges.labelled import labelled_jsonl
from harness.judges.labelled_build import DEFAULT_SEED, build_labelled_set

SEED = DEFAULT_SEED


def build() -> str:
    """The bundled set's text."""
    return labelled_jsonl(build_labelled_set(heldout_pairs(), no_answer_templates, seed=SEED))


def main() -> None:
    path = labelled_path()
    path.write_text(build(), encoding="utf-8", newline="\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
