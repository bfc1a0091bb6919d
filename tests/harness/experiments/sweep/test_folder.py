"""The sweep folder: what a killed sweep left (plots, no ``sweep.json``) is replaced, a
failed sweep leaves nothing, anything else stays refused."""

from __future__ import annotations

from harness.core.staging import staging_path
from harness.experiments.sweep.result import read_sweep
from tests.harness.experiments.sweep.samples_data import sample_rows, write_rows
from tests.harness.experiments.sweep.sweeps import sweep_args


def test_plots_without_a_record_are_what_a_killed_sweep_left(rmh, tmp_path):
    samples = write_rows(tmp_path / "samples.jsonl", sample_rows(per_prompt=8))
    out = tmp_path / "out"
    out.mkdir()
    (out / "bon.png").write_bytes(b"half a png")
    (out / ".sweep.json.tmp").write_text("{")
    staging_path(out).mkdir()  # and a staging folder of a sweep killed later on
    code, _, err = rmh(*sweep_args([samples], out, "--no-trajectories"))
    assert code == 0, err
    assert read_sweep(out).plots == {"bon": "bon.png"}
    assert (out / "bon.png").read_bytes()[:4] == b"\x89PNG"
    assert not staging_path(out).exists()


def test_a_sweep_that_fails_while_scoring_leaves_nothing(rmh, one_line_error, tmp_path):
    samples = write_rows(tmp_path / "samples.jsonl", sample_rows(per_prompt=8))
    args = sweep_args([samples], tmp_path / "out")
    args[args.index("--proxy") + 1] = args[args.index("--proxy") + 1].replace(
        "proxy_reward", "nan_reward"
    )
    code, _, err = rmh(*args)
    one_line_error(code, err, "reward model returned nan")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples.jsonl"]
