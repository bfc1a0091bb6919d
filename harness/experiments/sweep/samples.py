"""Reading samples files: many sampled responses per prompt, from a policy or an RL run.

A samples file is JSONL, one sampled response a row::

    {"prompt": "...", "response": "...", "policy_logprob": -41.2, "ref_logprob": -43.0}

``policy_logprob`` and ``ref_logprob`` (each optional, but on every row of a file or on
none) are the response's log-probability summed over its tokens under the policy and
under the reference (initial) policy; their difference, averaged, is the KL of an RL
step, known when every sample has both (``rmh sample`` writes ``ref_logprob`` only with
``--ref``). Several files (``step-0.jsonl step-100.jsonl ...``, one per RL checkpoint) are an
RL run's steps: a row's step is its ``step`` field, else the number in its file's name
(``step-100``, ``step_100``, ``step100``). A single file without steps is one step.

Every problem is a one-line ``DataError`` naming the file and line: not JSONL, a missing
or non-string ``prompt``/``response``, a logprob that is not a finite number, a step
that is not an integer, several files with no step to tell them apart.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.core.data import read_json_lines, string_field
from harness.core.errors import DataError, HarnessError

_STEP_IN_NAME = re.compile(r"step[-_]?(\d+)", re.IGNORECASE)
LOGPROBS = ("policy_logprob", "ref_logprob")


@dataclass(frozen=True)
class Sample:
    """One sampled response (``where`` is ``file:line``, for error messages)."""

    prompt: str
    response: str
    step: int | None
    policy_logprob: float | None
    ref_logprob: float | None
    where: str

    @property
    def kl(self) -> float | None:
        """``policy_logprob - ref_logprob``: this sample's term of the KL estimate."""
        if self.policy_logprob is None or self.ref_logprob is None:
            return None
        return self.policy_logprob - self.ref_logprob


@dataclass(frozen=True)
class SamplesFile:
    path: Path
    sha256: str
    rows: int
    steps: tuple[int | None, ...]


@dataclass(frozen=True)
class SampleSet:
    """Every sample of every file, in file and line order."""

    samples: tuple[Sample, ...]
    files: tuple[SamplesFile, ...]

    @property
    def steps(self) -> list[int | None]:
        """The distinct steps, ascending (``[None]`` for one file without steps)."""
        found = {s.step for s in self.samples}
        return sorted(found, key=lambda s: -1 if s is None else s)

    def at(self, step: int | None) -> list[Sample]:
        return [s for s in self.samples if s.step == step]

    @property
    def has_logprobs(self) -> bool:
        return all(s.kl is not None for s in self.samples)


def finite_number(path: Path, line: int, row: dict, name: str, what: str) -> float:
    """``row[name]`` as a finite float; else a one-line ``DataError`` ("``what`` must be
    finite"). JSON has NaN and Infinity, and an integer too large for a float is
    non-finite too (``float`` would raise on it)."""
    value = row[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(
            f"{path}:{line}: field {name!r} must be a number, got {type(value).__name__}"
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise DataError(f"{path}:{line}: field {name!r} is {number}; {what} must be finite")
    return number


def _logprob(path: Path, line: int, row: dict, name: str) -> float | None:
    return finite_number(path, line, row, name, "logprobs") if name in row else None


def _step(path: Path, line: int, row: dict, from_name: int | None) -> int | None:
    if "step" not in row:
        return from_name
    value = row["step"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{path}:{line}: field 'step' must be an integer, got {value!r}")
    return value


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_samples(paths: Sequence[str | Path]) -> SampleSet:
    """Read and check every samples file (module doc); one-line errors."""
    if not paths:
        raise HarnessError("give at least one samples file (--samples FILE [FILE ...])")
    samples: list[Sample] = []
    files: list[SamplesFile] = []
    seen: set[Path] = set()
    for raw_path in paths:
        path = Path(raw_path)
        if path.resolve() in seen:
            raise DataError(f"samples file {path} is given twice")
        seen.add(path.resolve())
        match = _STEP_IN_NAME.search(path.stem)
        from_name = int(match.group(1)) if match else None
        first: dict[str, tuple[bool, int]] = {}
        rows = read_json_lines(path)
        mine: list[Sample] = []
        for line, row in rows:
            values = {name: _logprob(path, line, row, name) for name in LOGPROBS}
            for name, value in values.items():
                has, since = first.setdefault(name, (value is not None, line))
                if has != (value is not None):
                    which = "has" if has else "has no"
                    raise DataError(
                        f"{path}:{line}: {name!r} differs from line {since}, which {which} "
                        "it; give it on every row or on none"
                    )
            mine.append(
                Sample(
                    prompt=string_field(path, line, row, "prompt"),
                    response=string_field(path, line, row, "response"),
                    step=_step(path, line, row, from_name),
                    policy_logprob=values["policy_logprob"],
                    ref_logprob=values["ref_logprob"],
                    where=f"{path}:{line}",
                )
            )
        steps = {s.step for s in mine}
        if None in steps and len(steps) > 1:
            bare = next(s for s in mine if s.step is None)
            raise DataError(
                f"{bare.where}: no 'step' while other rows of {path} have one; "
                "give every row a step or none"
            )
        files.append(
            SamplesFile(
                path=path,
                sha256=file_sha256(path),
                rows=len(mine),
                steps=tuple(sorted(steps, key=lambda s: -1 if s is None else s)),
            )
        )
        samples.extend(mine)
    if len(files) > 1:
        for f in files:
            if None in f.steps:
                raise DataError(
                    f"{f.path}: no step: with several samples files (an RL run's steps) "
                    "each row needs a 'step' field, or the file a name like step-100.jsonl"
                )
    return SampleSet(tuple(samples), tuple(files))


@dataclass(frozen=True)
class RecordedRows:
    """Per row of a ``SampleSet``, the scores and verdicts recorded with it (a watch's
    samples files: ``watch_inputs.py``): the sweep uses them instead of scoring the rows
    and judging them itself. ``judge`` and ``note`` say whose verdicts ``bad`` holds."""

    proxy: np.ndarray
    gold: np.ndarray
    bad: np.ndarray
    reasons: tuple[tuple[str, ...], ...]
    judge: str
    note: str


@dataclass(frozen=True)
class PromptSelection:
    """The prompts best-of-n uses (each with its samples' indices), and the skipped ones:
    ``tied_proxy`` is known only once the proxy has scored (``skip_tied_proxy``)."""

    prompts: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...]
    n_max: int
    total: int
    fewer_than_2: int
    fewer_than_n_max: int
    tied_proxy: int = 0

    @property
    def skipped(self) -> int:
        """Prompts best-of-n does not use, for every reason."""
        return self.fewer_than_2 + self.fewer_than_n_max + self.tied_proxy


def select_prompts(samples: Sequence[Sample], n_max: int | None) -> PromptSelection:
    """Group samples by prompt; skip (and count) prompts that cannot give best-of-n.

    A prompt with fewer than 2 samples has no choice to make. With ``n_max`` given, a
    prompt with fewer than ``n_max`` samples cannot give best-of-``n_max`` and is skipped
    too; without it, ``n_max`` is the smallest sample count of the kept prompts, so every
    prompt counts at every n. None left is bad input.
    """
    groups: dict[str, list[int]] = {}
    for index, sample in enumerate(samples):
        groups.setdefault(sample.prompt, []).append(index)
    few = [p for p, rows in groups.items() if len(rows) < 2]
    kept = {p: rows for p, rows in groups.items() if len(rows) >= 2}
    if not kept:
        raise HarnessError(
            f"no prompt has 2 or more samples ({len(groups)} prompts, {len(few)} with a single "
            "sample skipped); best-of-n needs several sampled responses per prompt"
        )
    short = 0
    if n_max is not None:
        if n_max < 2:
            raise HarnessError(f"--n-max must be at least 2, got {n_max}")
        enough = {p: rows for p, rows in kept.items() if len(rows) >= n_max}
        short = len(kept) - len(enough)
        if not enough:
            most = max(len(rows) for rows in kept.values())
            raise HarnessError(
                f"no prompt has {n_max} samples (--n-max), the most is {most}; "
                f"lower --n-max to {most} or sample more"
            )
        kept = enough
    size = n_max if n_max is not None else min(len(rows) for rows in kept.values())
    return PromptSelection(
        prompts=tuple(kept),
        rows=tuple(tuple(rows) for rows in kept.values()),
        n_max=size,
        total=len(groups),
        fewer_than_2=len(few),
        fewer_than_n_max=short,
    )


def skip_tied_proxy(
    selection: PromptSelection,
    rows: Sequence[tuple[int, ...]],
    proxy: np.ndarray,
    n_max: int | None,
) -> tuple[PromptSelection, list[tuple[int, ...]]]:
    """Skip (and count) the prompts whose samples the proxy scores all the same.

    Best-of-n has nothing to choose by on such a prompt (all its responses identical, say):
    its "pick" at every n would be a random sample (one tie block), not the proxy's
    preference, so the prompt would only flatten the curve. ``rows`` are ``selection.rows``
    as indices of ``proxy``; both come back without the skipped prompts, and without
    ``n_max`` given the largest n is again the smallest sample count of the prompts kept.
    None left is bad input (one line): the proxy has nothing to choose by anywhere.
    """
    tied = [bool(np.all(proxy[list(r)] == proxy[r[0]])) for r in rows]
    if not any(tied):
        return selection, list(rows)
    if all(tied):
        scores = np.unique(np.concatenate([proxy[list(r)] for r in rows]))
        if len(scores) == 1:
            raise HarnessError(
                f"the proxy gives every sample the same score ({scores[0]:.6g}); "
                "best-of-n has nothing to choose by"
            )
        raise HarnessError(
            f"the proxy gives all the samples of a prompt one score, on each of the {len(rows)} "
            "prompts; best-of-n has nothing to choose by on any of them"
        )
    kept = [k for k, is_tied in enumerate(tied) if not is_tied]
    local = tuple(selection.rows[k] for k in kept)
    selection = dataclasses.replace(
        selection,
        prompts=tuple(selection.prompts[k] for k in kept),
        rows=local,
        n_max=n_max if n_max is not None else min(len(r) for r in local),
        tied_proxy=len(rows) - len(kept),
    )
    return selection, [rows[k] for k in kept]
