"""The ``rmh`` group: help, version, and one-line errors with exit 2 (never a traceback)."""

from __future__ import annotations

import subprocess
import sys


def test_help_lists_commands_with_examples(rmh):
    code, out, _ = rmh("--help")
    assert code == 0
    for command in ("demo", "info", "score"):
        assert command in out
    code, out, _ = rmh("score", "--help")
    assert code == 0 and "Examples" in out and "--allow-pickle" in out


def test_version(rmh):
    code, out, _ = rmh("--version")
    assert code == 0 and out.startswith("rmh, version ")


def test_usage_error_is_one_line(rmh, one_line_error):
    code, _, err = rmh("no-such-verb")
    one_line_error(code, err, "No such command 'no-such-verb'")


def test_console_script_exit_code_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "info", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("rmh: error:") and "Traceback" not in proc.stderr


def test_help_does_not_import_torch():
    """Options generated from LoadOptions are built on first use: ``rmh --help`` stays instant.

    (Any verb imports transformers, and so torch, when the group starts; plain help does not.)
    """
    code = (
        "import sys\n"
        "from harness.cli import main\n"
        "assert main(['--help']) == 0\n"
        "assert main(['--version']) == 0\n"
        "assert 'torch' not in sys.modules, 'rmh --help imported torch'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
