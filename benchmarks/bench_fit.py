"""The overoptimization fit's weights on constructed data whose alpha and beta are known.

    python benchmarks/bench_fit.py [--draws 100]

Gold is built so that its best-of-n curve follows ``d (alpha - beta d)`` exactly in
expectation (``tests/harness/experiments/sweep/synthetic.py``: alpha 1, beta 0.35, 256
samples per prompt, per-sample noise of standard deviation 1). For each number of prompts
the table gives the root mean square error of alpha and beta over ``--draws`` draws, for
each way of weighting the eight points n = 2..256:

- ``r/d``: the straight line R/d on d by ordinary least squares (the sweep's fit before:
  weights 1/d^2 on R, 23 times more on n = 2 than on n = 256);
- ``equal``: R ~ d + d^2 with equal weights;
- ``wls``: each point weighted by its bootstrap variance;
- ``gls``: the full bootstrap covariance (``-`` when it is singular; the count of draws
  where it is not is shown);
- ``sweep``: what the sweep does (``fit.gls_operator``: GLS from four prompts per point,
  else WLS).

Whatever comes out is the result: nothing here tunes the fit toward a number.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from harness.experiments.sweep.bon import bon_table, kl_bon, n_grid
from harness.experiments.sweep.fit import GLS, gls_operator, resample_counts, resampled_means
from tests.harness.experiments.sweep.synthetic import synthetic_scores

ALPHA, BETA = 1.0, 0.35
NS = n_grid(256)
PROMPTS = (8, 16, 32, 128, 1000)


def operators(d: np.ndarray, boot: np.ndarray, prompts: int) -> dict[str, np.ndarray | None]:
    """Each weighting as ``fit.gls_operator`` builds it (GLS: None where the covariance is
    singular)."""
    full = gls_operator(d, boot)  # no prompt count: GLS whenever the covariance allows
    return {
        "equal": gls_operator(d, None).operator,
        "wls": gls_operator(d, boot, prompts=0).operator,  # no prompts: the diagonal
        "gls": full.operator if full.weights == GLS else None,
        "sweep": gls_operator(d, boot, prompts).operator,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    d = np.sqrt(kl_bon(np.array(NS[1:])))
    names = ("r/d", "equal", "wls", "gls", "sweep")
    print(f"alpha {ALPHA}, beta {BETA}; RMSE of alpha / beta over {args.draws} draws")
    print(f"{'prompts':>8}" + "".join(f"{name:>16}" for name in names) + "  gls invertible")
    for prompts in PROMPTS:
        errors: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        draws = args.draws if prompts < 1000 else max(args.draws // 5, 1)
        for seed in range(draws):
            proxy, gold = synthetic_scores(
                prompts=prompts, size=256, alpha=ALPHA, beta=BETA, noise=1.0, seed=seed
            )
            table = bon_table(proxy, gold, NS)
            gain = table[:, 1:] - table[:, :1]
            boot = resampled_means(gain, resample_counts(prompts, 1000, seed))
            mean = gain.mean(axis=0)
            y = mean / d
            centred = d - d.mean()
            slope = (y * centred).sum() / (centred**2).sum()
            errors["r/d"].append((y.mean() - slope * d.mean() - ALPHA, -slope - BETA))
            for name, operator in operators(d, boot, prompts).items():
                if operator is not None:
                    alpha, beta = operator @ mean
                    errors[name].append((alpha - ALPHA, beta - BETA))
        cells = []
        for name in names:
            if not errors[name]:
                cells.append(f"{'-':>16}")
                continue
            rmse = np.sqrt((np.array(errors[name]) ** 2).mean(axis=0))
            cells.append(f"{rmse[0]:>8.3f}/{rmse[1]:<7.3f}")
        print(f"{prompts:>8}" + "".join(cells) + f"  {len(errors['gls'])} of {draws}")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
