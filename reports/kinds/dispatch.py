"""``rmh report`` and ``rmh gate`` on any result folder: find its kind, then one pipeline.

Report: refuse the options the kind does not take, read the folder once (``context``),
write every file (``reports.report_files``), print the kind's lines and the files written,
then refuse a partial result (exit 2; its report is written first, showing what is done).

Gate: refuse a kind without a gate and the options the kind does not take, read the
folder once, print the decision and return its exit code.

A folder no kind recognises is read as a run folder (``FALLBACK``): a missing folder or a
run killed before its log began gets the run reader's message ("no run folder at ...",
"... has no log.jsonl"), which says what a result folder needs better than a list of
markers would.

    report_folder("runs/rc2", FolderOptions(baseline="runs/rc1"), out=None, echo=print)
    code = gate_folder("exp/sweep", FolderOptions(policy="gate.toml"), echo=print)
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from harness.core.errors import HarnessError
from reports.kinds.base import RESULT_KINDS, FolderOptions, ResultKind
from reports.report_files import write_report_files

#: The kind of a folder that no kind recognises (module doc).
FALLBACK = "run"

Echo = Callable[[str], None]


def detect_kind(folder: str | Path) -> ResultKind:
    """The kind of ``folder``; a folder that two kinds claim is a one-line error."""
    folder = Path(folder)
    kinds = RESULT_KINDS.load_all()
    claimed = [cls for cls in kinds.values() if cls.detect(folder)]
    if len(claimed) > 1:
        markers = " and ".join(cls.marker for cls in claimed)
        kinds_of = " and ".join(f"{_a(cls.name)} folder" for cls in claimed)
        raise HarnessError(
            f"{folder} holds {markers}, so it would be both {kinds_of}; "
            "a result folder is of one kind: move one of the results elsewhere"
        )
    return (claimed[0] if claimed else kinds[FALLBACK])()


def report_folder(
    folder: str | Path, options: FolderOptions, *, out: str | Path | None, echo: Echo
) -> dict[str, Path]:
    """Write ``folder``'s report into ``out`` (default: the folder); the paths by name."""
    folder = Path(folder)
    kind = detect_kind(folder)
    _refuse_options(kind, folder, options, "report", kind.report_options)
    ctx = kind.context(folder, options)
    paths = write_report_files(kind.renderers(), ctx, out if out is not None else folder)
    for line in kind.report_lines(ctx):
        echo(line)
    for path in paths.values():
        echo(f"wrote {path}")
    kind.check_complete(ctx)
    return paths


def gate_folder(folder: str | Path, options: FolderOptions, *, echo: Echo) -> int:
    """Print the gate's decision on ``folder``; its exit code (0 pass, 1 fail)."""
    folder = Path(folder)
    kind = detect_kind(folder)
    if kind.gate_options is None:
        gated = _either([name for name, cls in _kinds() if cls.gate_options is not None])
        hint = kind.hint(folder)
        raise HarnessError(
            f"rmh gate decides on {gated or 'no'} folders, and {folder} is "
            f"{_a(kind.name)} folder, which has no gate" + (f"; gate {hint}" if hint else "")
        )
    _refuse_options(kind, folder, options, "gate", kind.gate_options)
    outcome = kind.gate(kind.context(folder, options))
    for line in outcome.lines:
        echo(line)
    return outcome.exit_code


def _refuse_options(
    kind: ResultKind, folder: Path, options: FolderOptions, verb: str, taken: Collection[str]
) -> None:
    """Refuse, by flag, the given options ``kind`` does not take for ``verb``."""
    refused = [name for name in options.given() if name not in taken]
    if not refused:
        return
    flags = ", ".join(FolderOptions.flag(name) for name in refused)
    takers = _either([name for name, cls in _kinds() if set(refused) <= set(_taken(cls, verb))])
    hint = kind.hint(folder)
    raise HarnessError(
        f"{flags}: for {f'{_a(takers)} folder' if takers else 'another kind of folder'}, "
        f"and {folder} is "
        f"{_a(kind.name)} folder" + (f"; {verb} {hint} with it" if hint else "")
    )


def _kinds() -> list[tuple[str, type[ResultKind]]]:
    return list(RESULT_KINDS.load_all().items())


def _taken(cls: type[ResultKind], verb: str) -> Collection[str]:
    return cls.report_options if verb == "report" else (cls.gate_options or ())


def _either(names: list[str]) -> str:
    """``run``, ``run or sweep``, ``run, sweep or tally``; "" for no names."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: "a run", "an experiment"."""
    return f"{'an' if noun[:1] and noun[0].lower() in 'aeiou' else 'a'} {noun}"
