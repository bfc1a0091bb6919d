"""Shared fixtures: tiny real checkpoints, built once per session and loaded for real, and
the in-process ``rmh`` runner with its one-line-error check."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from hypothesis import settings

from harness.cli import main
from harness.runner import start_run
from harness.suite import resolve_suite
from harness.testing import build_tiny_checkpoint, write_tiny_suite

# "ci" makes property tests repeatable (a red CI run fails the same way on a laptop).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Named tiny checkpoints covering the loader's branches."""
    root = tmp_path_factory.mktemp("checkpoints")
    specs = {
        "bert": dict(arch="bert"),
        "bert_left": dict(arch="bert", padding_side="left"),
        "bert_two_label": dict(arch="bert", num_labels=2),
        "bert_three_label": dict(arch="bert", num_labels=3),
        "bert_pickle": dict(arch="bert", pickle_weights=True),
        "bert_no_tokenizer": dict(arch="bert", with_tokenizer=False),
        "llama": dict(arch="llama"),
        "llama_chat_left": dict(arch="llama", chat_template=True, padding_side="left"),
        "llama_chat_right": dict(arch="llama", chat_template=True, padding_side="right"),
        "llama_no_pad": dict(arch="llama", pad_token=False),
    }
    return {name: build_tiny_checkpoint(root / name, **spec) for name, spec in specs.items()}


@pytest.fixture(scope="session")
def tiny_run(checkpoints, tmp_path_factory) -> Path:
    """A complete run of a tiny suite (3 attacks, 4 prompts) on a tiny real checkpoint."""
    root = tmp_path_factory.mktemp("tiny-run")
    suite = write_tiny_suite(root)
    out = root / "runs" / "tiny"
    start_run(
        [str(checkpoints["bert"])],
        resolve_suite(str(suite)),
        out,
        progress="quiet",
        echo=lambda _: None,
    )
    return out


Run = Callable[..., tuple[int, str, str]]
Check = Callable[[int, str, str], None]


def _assert_one_line_error(code: int, err: str, fragment: str) -> None:
    """Exit 2 and exactly one ``rmh: error:`` line containing ``fragment``; no traceback."""
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("rmh: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in err


@pytest.fixture()
def rmh(capsys: pytest.CaptureFixture[str]) -> Run:
    """``rmh(*argv)`` runs the CLI in this process and returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture()
def one_line_error() -> Check:
    """``one_line_error(code, err, fragment)``: exit 2, one ``rmh: error:`` line, no traceback."""
    return _assert_one_line_error
