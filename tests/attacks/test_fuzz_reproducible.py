"""The fuzz attack's findings depend on its seed, not on the process that runs it.

Hypothesis mixes constants mined from the source of every *local* module in
``sys.modules`` into its draws (``attacks.stable_sampling`` says how). A fuzz search whose
draws they could reach would find other texts after an unrelated import, in a Ray worker
that loaded other modules than the driver, or from a wheel (whose modules are in
site-packages, so not local) rather than a checkout. Each side here is a fresh process,
so its ``sys.modules`` really differs, and the comparison is of every text the search
scored, in order, and of the findings with their scores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One fuzz search printed as JSON with the project modules it had loaded. A cheap
# deterministic reward (distinct long words: only token soups beat the reference, so every
# vocabulary draw matters) and a gold judge that calls every text but the reference bad.
# ``crowded`` first imports most of the project and a module of unrelated constants.
FUZZ = """
import json, sys
if sys.argv[1] == "crowded":
    import importlib, pkgutil
    import harness.cli, harness.experiments, reports
    for info in pkgutil.walk_packages(harness.experiments.__path__, "harness.experiments."):
        importlib.import_module(info.name)
    sys.path.insert(0, sys.argv[2])
    import rmh_unrelated_constants
import attacks
from attacks import get_attack
from harness.judges import GoldRMJudge
from harness.models import CallableRewardModel
from harness.scoring import Scorer

PROMPT = "Tell me a joke about Python."
REFERENCE = "I suggested a Python seminar, but the acronym was unpopular."

def long_words(prompts, responses):
    return [len({w for w in r.split() if len(w) >= 7}) / 2 for r in responses]

def only_the_reference(prompts, responses):
    return [float(r == REFERENCE) for r in responses]

scorer = Scorer(CallableRewardModel(long_words))
gold = GoldRMJudge(Scorer(CallableRewardModel(only_the_reference)))
outcome = get_attack("hypothesis-fuzz")().run(
    scorer, PROMPT, REFERENCE, budget=80, seed=7, judges=[gold], keep=1000
)
print(json.dumps({
    "error": outcome.error,
    "findings": [[f.text, f.score] for f in outcome.findings],
    "scored": [response for _fingerprint, _prompt, response in scorer.cache],
    "project_modules": sorted(
        name for name in sys.modules if name.split(".")[0] in ("harness", "attacks", "reports")
    ),
    "attacks_file": attacks.__file__,
}))
"""

# Distinctive constants of every kind Hypothesis mines, some inside the ranges the fuzz
# strategies draw from (indices below 3,000, counts 2-40, small indices below 100).
UNRELATED_CONSTANTS = '''"""Constants no fuzz search should ever see."""
WORDS = ["zanzibar-quux", "kilimanjaro", "xylophone-constant", "the joke", "funny"]
INDICES = [101, 150, 257, 333, 777, 1234, 2048, 2999, 4321, 65537]
SMALL = [2, 3, 7, 13, 21, 40, 42, 99]
RATIOS = [0.125, 2.5, 1e-3]
BLOB = b"unrelated bytes"
'''


def run_fuzz(python: str, mode: str, cwd: Path, env: dict[str, str], junk: Path) -> dict:
    """The JSON the fuzz script prints, run by ``python`` in a fresh process."""
    proc = subprocess.run(
        [python, "-c", FUZZ, mode, str(junk)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def checkout_env() -> dict[str, str]:
    """The environment of this process with the checkout first on the path, as an editable
    install has it: its modules are local files, outside site-packages."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def unrelated_module(tmp_path: Path) -> Path:
    junk = tmp_path / "unrelated"
    junk.mkdir()
    (junk / "rmh_unrelated_constants.py").write_text(UNRELATED_CONSTANTS, encoding="utf-8")
    return junk


def same_search(a: dict, b: dict) -> None:
    assert a["error"] is None and b["error"] is None, (a["error"], b["error"])
    assert a["scored"] == b["scored"]
    assert a["findings"] == b["findings"]


def test_unrelated_imports_do_not_change_the_findings(tmp_path):
    junk = unrelated_module(tmp_path)
    env = checkout_env()
    alone = run_fuzz(sys.executable, "alone", tmp_path, env, junk)
    crowded = run_fuzz(sys.executable, "crowded", tmp_path, env, junk)
    # The two processes really differ in what they loaded.
    assert set(alone["project_modules"]) < set(crowded["project_modules"])
    assert len(crowded["project_modules"]) > len(alone["project_modules"]) + 20
    # A search that found something, so that its findings can differ at all.
    assert len(alone["scored"]) > 40 and len(alone["findings"]) >= 3
    same_search(alone, crowded)


def copy_sources(dest: Path) -> Path:
    """What the wheel is built from, copied so that the build leaves the checkout as it was."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for package in ("harness", "attacks", "reports"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / package, dest / package, ignore=skip)
    return dest


def venv_with_wheel(tmp_path: Path) -> tuple[str, Path]:
    """A new venv holding the project only as a wheel, with this environment's packages
    (torch, hypothesis, ...) reached through a ``.pth`` file: offline, and nothing of the
    checkout or of an editable install on its path. Returns its python and site-packages."""
    source = copy_sources(tmp_path / "source")
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    offline = ["--no-deps", "--no-index"]
    built = subprocess.run(
        [*pip, "wheel", *offline, "--no-build-isolation", str(source), "-w", str(dist)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = dist.glob("rm_harness-*.whl")
    home = tmp_path / "wheel-venv"
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    where = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    site = Path(where.stdout.strip())
    installed = subprocess.run(
        [*pip, "install", *offline, "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    outer = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "outer_environment.pth").write_text("\n".join(outer) + "\n", encoding="utf-8")
    return str(python), site


@pytest.mark.slow
def test_a_wheel_install_finds_what_the_checkout_finds(tmp_path):
    junk = unrelated_module(tmp_path)
    python, site = venv_with_wheel(tmp_path)
    wheel_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    from_wheel = run_fuzz(python, "alone", run_dir, wheel_env, junk)
    from_checkout = run_fuzz(sys.executable, "alone", run_dir, checkout_env(), junk)
    # Each side ran the copy it was meant to: the wheel's is in site-packages.
    assert Path(from_wheel["attacks_file"]).resolve().is_relative_to(site.resolve())
    assert Path(from_checkout["attacks_file"]).resolve().is_relative_to(ROOT)
    assert len(from_checkout["findings"]) >= 3
    same_search(from_wheel, from_checkout)
