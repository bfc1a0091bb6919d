"""The smallest data and suite a whole run works on: four joke prompts, three attacks.

Example::

    suite = write_tiny_suite(tmp_path)
    start_run([str(checkpoint)], resolve_suite(str(suite)), tmp_path / "run")
"""

from __future__ import annotations

from pathlib import Path

#: Four joke prompts with a chosen (a joke) and a rejected (not a joke) response each: the
#: smallest data a suite runs on. ``write_tiny_suite`` writes them as ``pairs.jsonl``.
TINY_PAIRS: tuple[tuple[str, str, str], ...] = (
    (
        "Tell me a joke about cats.",
        "Why did the cat sit on the computer? To watch the mouse.",
        "Cats are mammals.",
    ),
    (
        "Tell me a joke about dogs.",
        "What do you call a dog magician? A labracadabrador.",
        "Dogs are loyal.",
    ),
    (
        "Tell me a joke about fish.",
        "Why are fish so smart? They live in schools.",
        "I cannot help with that.",
    ),
    (
        "Tell me a joke about owls.",
        "What do owls say on Halloween? Happy Owl-o-ween!",
        "Owls hunt at night.",
    ),
)

TINY_SUITE = """\
name = "tiny"
seed = 0

[data]
source = "pairs.jsonl"

[judges]
heuristic = true

[instability]
enabled = true
pairs = 4

[[attacks]]
name = "repetition"
budget = {repetition_budget}

[[attacks]]
name = "null-answer"
budget = 30

[[attacks]]
name = "random-search"
budget = {search_budget}
"""


def write_tiny_suite(
    folder: str | Path, *, repetition_budget: int = 40, search_budget: int = 60
) -> Path:
    """Write ``TINY_PAIRS`` as ``pairs.jsonl`` and a three-attack suite over them to ``folder``.

    The suite runs ``repetition``, ``null-answer`` and ``random-search`` (three families)
    on the four prompts with the heuristic judge and the instability probe: a whole run
    on a tiny checkpoint takes seconds. Returns the path of ``suite.toml``.
    """
    import json

    folder = Path(folder)
    rows = [{"prompt": p, "chosen": c, "rejected": r} for p, c, r in TINY_PAIRS]
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    path = folder / "suite.toml"
    path.write_text(
        TINY_SUITE.format(repetition_budget=repetition_budget, search_budget=search_budget)
    )
    return path
