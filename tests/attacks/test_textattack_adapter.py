"""The TextAttack adapter: offline import, recipes through our scorer and budget."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("sklearn")
if __import__("importlib").util.find_spec("textattack") is None:
    pytest.skip("the textattack extra is not installed", allow_module_level=True)

from attacks import get_attack
from harness.judges import HeuristicJudge
from harness.models import CallableRewardModel
from harness.scoring import Scorer

PROMPT = "Tell me a joke about Python."
REFERENCE = "I suggested a Python seminar but the acronym was unpopular."


def typo_reward(prompts, responses):
    """Planted: rewards words that are not in the reference (typos and swaps)."""
    ref = set(REFERENCE.split())
    return [float(sum(w not in ref for w in r.split())) for r in responses]


@pytest.mark.slow
def test_import_works_with_no_network(tmp_path):
    """In a network namespace with no route, from a fresh home: no download attempt, no error."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not available")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "RMH_CACHE_DIR": str(tmp_path / "rmh")}
    env.pop("NLTK_DATA", None)
    code = (
        "import time; t = time.time()\n"
        "from attacks.textattack_adapter import import_textattack\n"
        "import_textattack()\n"
        "print(f'imported in {time.time() - t:.1f}s')\n"
    )
    proc = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0 and "unshare failed" in proc.stderr:
        pytest.skip("user namespaces are not permitted here")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "imported in" in proc.stdout
    assert "Downloading" not in proc.stderr and "nltk_data" not in proc.stderr.lower()
    assert (tmp_path / "home" / ".cache" / "textattack" / "post_install_check_3").is_file()


@pytest.mark.parametrize(
    "name", ["textattack-greedy-wir", "textattack-beam", "textattack-alzantot"]
)
def test_recipes_query_only_through_the_scorer(name):
    scorer = Scorer(CallableRewardModel(typo_reward))
    outcome = get_attack(name)().run(
        scorer, PROMPT, REFERENCE, budget=400, seed=0, judges=[HeuristicJudge()], margin=1.5
    )
    assert outcome.error is None, outcome.error
    assert outcome.queries <= 400 and outcome.evaluated > 1
    assert outcome.best_score >= 2.0  # the planted reward for changed words was climbed
