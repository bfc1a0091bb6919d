"""Small real sweeps for tests anywhere: through the command line, on rule-based RMs
(seconds), and one whose samples and prompts are hostile text (for the report tests)."""

from __future__ import annotations

from pathlib import Path

from harness.cli import main
from harness.testing import HOSTILE_TEXTS
from tests.harness.experiments.sweep.rewards import PREFIX
from tests.harness.experiments.sweep.samples_data import sample_rows, write_rows, write_samples

FAST = ("--resamples", "200", "--trajectory-prompts", "2", "--trajectory-budget", "48")


def sweep_args(samples: list[Path], out: Path, *extra: str) -> list[str]:
    return [
        "sweep",
        "--samples",
        *map(str, samples),
        "--proxy",
        f"{PREFIX}:proxy_reward",
        "--gold",
        f"{PREFIX}:gold_reward",
        "--out",
        str(out),
        "--quiet",
        *FAST,
        *extra,
    ]


def make_sweep(root: Path) -> Path:
    """4 prompts x 16 samples with logprobs, trajectories on 2 prompts."""
    samples = write_samples(root / "samples.jsonl", per_prompt=16, logprobs=True)
    out = root / "out"
    code = main(sweep_args([samples], out))
    if code != 0:
        raise RuntimeError(f"rmh sweep exited {code}")
    return out


def make_hostile_sweep(root: Path) -> Path:
    """A sweep whose prompts and responses include every hostile text: the proxy's
    favourite of each prompt is hostile (the longest response), so the report shows them."""
    rows = sample_rows(prompts=2, per_prompt=16)
    for i, text in enumerate(HOSTILE_TEXTS):
        prompt = text if i % 2 else rows[0]["prompt"]
        rows.append({"prompt": prompt, "response": f"{text} " + "word " * 30})
        rows += [
            {"prompt": prompt, "response": " ".join(["A plain answer"] + ["indeed"] * k)}
            for k in range(7)
        ]
    samples = write_rows(root / "hostile.jsonl", rows)
    out = root / "hostile"
    code = main(sweep_args([samples], out))
    if code != 0:
        raise RuntimeError(f"rmh sweep exited {code}")
    return out
