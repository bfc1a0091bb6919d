"""Best-of-n analysed: curves, the fitted peak, gamma and the nonsense onset, from scores.

Pure (numpy, no model): ``analyse_bon`` takes per prompt the proxy score, the gold score
and the judge's verdict of each sample, and returns what ``sweep.json`` records about
best-of-n. The sweep calls it on scored samples, the tests on constructed ones.

Every interval comes from one set of prompt resamples (``fit.resample_counts``), shared by
every quantity and every n, so differences (a gain over n = 1, gamma's two curves) are
paired. The nonsense onset is a test, not an interval (``onset.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.core.errors import HarnessError
from harness.experiments.sweep.bon import bon_table, kl_bon, n_grid
from harness.experiments.sweep.fit import (
    LawFit,
    gls_operator,
    nearest_power_of_two,
    peak_d,
    peak_n,
    percentile_interval,
    resample_counts,
    resampled_means,
)
from harness.experiments.sweep.gamma import MEASURED, UNBOUNDED, gamma
from harness.experiments.sweep.onset import METHOD, find_onset, zero_rate_bound
from harness.experiments.sweep.result import (
    CurvePoint,
    Estimate,
    Gap,
    Nonsense,
    Overoptimization,
    PeakFit,
    Scales,
)

#: A rate this close to 0 or 1 is 0 or 1: best-of-n weights sum to 1 only up to rounding.
RATE_ROUNDING = 1e-9

#: The fit needs this many n >= 2 (n up to 8) to have a residual at all.
MIN_FIT_POINTS = 3


@dataclass(frozen=True)
class BonAnalysis:
    ns: tuple[int, ...]
    scales: Scales
    curves: tuple[CurvePoint, ...]
    fit: PeakFit | None
    fit_note: str
    nonsense: Nonsense
    overoptimization: Overoptimization | None


def _spread(values: np.ndarray) -> float:
    return float(np.std(values))


def analyse_bon(
    proxy: Sequence[np.ndarray],
    gold: Sequence[np.ndarray],
    bad: Sequence[np.ndarray],
    n_max: int,
    *,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    judge: str = "heuristic",
    judge_note: str = "",
) -> BonAnalysis:
    """Curves for n = 1, 2, 4, ..., ``n_max``, the fit and the nonsense onset (module doc).

    Each prompt's arrays hold one value per sample (at least ``n_max`` samples); ``bad``
    is the verdict of the validity judge named ``judge`` (described by ``judge_note``).
    """
    if not proxy:
        raise HarnessError("no prompts to analyse")
    ns = tuple(n_grid(n_max))
    all_proxy = np.concatenate([np.asarray(p, dtype=np.float64) for p in proxy])
    all_gold = np.concatenate([np.asarray(g, dtype=np.float64) for g in gold])
    proxy_sd, gold_sd = _spread(all_proxy), _spread(all_gold)
    if not proxy_sd > 0:
        raise HarnessError(
            f"the proxy gives every sample the same score ({all_proxy[0]:.6g}); "
            "best-of-n has nothing to choose by"
        )
    if not gold_sd > 0:
        raise HarnessError(
            f"the gold gives every sample the same score ({all_gold[0]:.6g}); it cannot "
            "tell the proxy's picks apart, so there is no peak to find"
        )
    scales = Scales(
        proxy_mean=float(all_proxy.mean()),
        proxy_sd=proxy_sd,
        gold_mean=float(all_gold.mean()),
        gold_sd=gold_sd,
    )
    tables = {
        "proxy": bon_table(proxy, proxy, ns),
        "gold": bon_table(proxy, gold, ns),
        "nonsense": bon_table(proxy, [np.asarray(b, dtype=np.float64) for b in bad], ns),
    }
    counts = resample_counts(len(proxy), resamples, seed)
    boot = {name: resampled_means(table, counts) for name, table in tables.items()}
    means = {name: table.mean(axis=0) for name, table in tables.items()}

    def estimate(values: np.ndarray, point: float) -> Estimate:
        return Estimate.of(point, *percentile_interval(values, confidence))

    def rate(values: np.ndarray, point: float) -> Estimate:
        return rate_estimate(values, point, len(proxy), confidence)

    def gain(name: str, j: int, unit: float) -> Estimate:
        point = (means[name][j] - means[name][0]) / unit
        return estimate((boot[name][:, j] - boot[name][:, 0]) / unit, point)

    curves = tuple(
        CurvePoint(
            n=n,
            kl=float(kl_bon(n)),
            d=math.sqrt(float(kl_bon(n))),
            proxy=estimate(boot["proxy"][:, j], means["proxy"][j]),
            gold=estimate(boot["gold"][:, j], means["gold"][j]),
            proxy_gain=gain("proxy", j, proxy_sd),
            gold_gain=gain("gold", j, gold_sd),
            nonsense=rate(boot["nonsense"][:, j], means["nonsense"][j]),
        )
        for j, n in enumerate(ns)
    )
    used, d = _law_points(ns)
    enough = len(used) >= MIN_FIT_POINTS
    gold_curve = _law_curve(d, used, means, boot, "gold", len(proxy)) if enough else None
    fit, fit_note = _fit(ns, used, d, gold_curve, means, confidence, proxy, gold, scales)
    onset = find_onset(ns, tables["nonsense"], (1.0 - confidence) / 2.0)
    nonsense = Nonsense(
        judge=judge,
        note=judge_note,
        base_rate=curves[0].nonsense,
        onset_n=onset.n,
        method=METHOD,
        level=onset.level,
        adjusted_p={str(n): p for n, p in onset.adjusted_p.items()},
        rise_bound=onset.rise_bound,
    )
    overoptimization = None
    if gold_curve is not None:
        proxy_curve = _law_curve(d, used, means, boot, "proxy", len(proxy))
        overoptimization = _overoptimization(
            d, gold_curve.scaled(scales.gold_sd), proxy_curve.scaled(scales.proxy_sd), confidence
        )
    return BonAnalysis(ns, scales, curves, fit, fit_note, nonsense, overoptimization)


def rate_estimate(values: np.ndarray, point: float, prompts: int, confidence: float) -> Estimate:
    """A rate's bootstrap interval, or Clopper-Pearson on the prompts where the rate is 0
    or 1: a bootstrap of a column of zeros has width zero, which no data can support."""
    tail = (1.0 - confidence) / 2.0
    if point <= RATE_ROUNDING:  # the weights sum to 1 only up to rounding
        return Estimate.of(0.0, 0.0, zero_rate_bound(prompts, tail))
    if point >= 1.0 - RATE_ROUNDING:
        return Estimate.of(1.0, 1.0 - zero_rate_bound(prompts, tail), 1.0)
    return Estimate.of(point, *percentile_interval(values, confidence))


def _law_points(ns: tuple[int, ...]) -> tuple[list[int], np.ndarray]:
    """The columns the law is fitted on (n >= 2) and their d."""
    used = [j for j, n in enumerate(ns) if n >= 2]
    return used, np.sqrt(np.asarray([kl_bon(ns[j]) for j in used], dtype=np.float64))


@dataclass(frozen=True)
class LawCurve:
    """One RM's best-of-n gains fitted by the law: how the fit weighted, alpha and beta,
    and their values on every bootstrap resample."""

    law: LawFit
    alpha: float
    beta: float
    alphas: np.ndarray
    betas: np.ndarray

    def scaled(self, unit: float) -> LawCurve:
        """The same fit in units of ``unit``. Weighting by the points' spread makes the
        fit scale-equivariant, so dividing is the same as refitting scaled gains."""
        return LawCurve(
            self.law, self.alpha / unit, self.beta / unit, self.alphas / unit, self.betas / unit
        )


def _law_curve(
    d: np.ndarray,
    used: list[int],
    means: dict[str, np.ndarray],
    boot: dict[str, np.ndarray],
    name: str,
    prompts: int,
) -> LawCurve:
    """The law fitted to the gains of ``name`` (``proxy`` or ``gold``) in raw units, once
    for the point estimate and once per resample with the same operator."""
    boot_gain = boot[name][:, used] - boot[name][:, :1]
    law = gls_operator(d, boot_gain, prompts)
    alpha, beta = (float(v) for v in law.apply(means[name][used] - means[name][0]))
    alphas, betas = law.apply(boot_gain)
    return LawCurve(law, alpha, beta, alphas, betas)


def _overoptimization(
    d: np.ndarray, gold: LawCurve, proxy: LawCurve, confidence: float
) -> Overoptimization:
    """gamma with its interval, from both curves' fits in spread units (``gamma.py``)."""
    k = float(d[-1])
    point = float(gamma(gold.alpha, gold.beta, proxy.alpha, proxy.beta, k))
    boots = gamma(gold.alphas, gold.betas, proxy.alphas, proxy.betas, k)
    low, high = percentile_interval(boots, confidence)
    return Overoptimization(
        gamma=Estimate.of(point, low, high),
        state=MEASURED if np.isfinite(point) else UNBOUNDED,
        d_max=k,
        proxy_alpha=Estimate.of(proxy.alpha, *percentile_interval(proxy.alphas, confidence)),
        proxy_beta=Estimate.of(proxy.beta, *percentile_interval(proxy.betas, confidence)),
        note=(
            f"area between the gold and proxy best-of-n fits over 0 <= d <= {k:.2f} "
            "(n up to the largest sampled), over gold's area; both in score spreads"
        ),
    )


def _fit(
    ns: tuple[int, ...],
    used: list[int],
    d: np.ndarray,
    curve: LawCurve | None,
    means: dict[str, np.ndarray],
    confidence: float,
    proxy: Sequence[np.ndarray],
    gold: Sequence[np.ndarray],
    scales: Scales,
) -> tuple[PeakFit | None, str]:
    n_max = ns[-1]
    if curve is None:
        return None, (
            f"No fit: best-of-n up to n = {n_max} gives {len(used)} point(s) beyond n = 1, "
            f"and the fit needs {MIN_FIT_POINTS} (at least 8 samples per prompt)"
        )
    note = (
        f"Fitted on n = {', '.join(str(ns[j]) for j in used)} ({len(used)} points); a fit is "
        "only as good as the range of n it saw"
    )
    alpha, beta, alphas, betas = curve.alpha, curve.beta, curve.alphas, curve.betas
    spread = curve.scaled(scales.gold_sd)
    note += f"; {curve.law.note}"
    d_star = float(peak_d(alpha, beta))
    d_boot = peak_d(alphas, betas)
    d_low, d_high = percentile_interval(d_boot, confidence)
    n_star = peak_n(d_star)
    if d_star == 0:
        state = "start"
        message = (
            f"gold falls from n = 1 (alpha = {alpha:.3g} <= 0, the fitted gain's slope "
            "at n = 1): by gold, best-of-n should stop at n = 1"
        )
    elif beta <= 0:
        state = "none"
        message = (
            f"no peak: beta = {beta:.3g} <= 0, so the fitted gold gain never turns down; "
            f"gold was still rising (or flat) at the largest n sampled ({n_max})"
        )
    elif n_star > n_max:
        state = "beyond"
        message = (
            f"no peak within range: the fitted peak n* = {_count(n_star)} lies beyond the largest "
            f"n sampled ({n_max}); it is an extrapolation, and the data say only that gold was "
            f"still rising at n = {n_max}"
        )
    else:
        state = "within"
        message = (
            f"gold peaks at d* = {d_star:.2f} sqrt(nats), n* = {n_star:.1f} (nearest power of "
            f"two: {nearest_power_of_two(n_star)}), inside the sampled range n <= {n_max}"
        )
    gap = _gap(n_star, proxy, gold, scales, means) if state == "within" else None
    fit = PeakFit(
        points=len(used),
        alpha=Estimate.of(alpha, *percentile_interval(alphas, confidence)),
        beta=Estimate.of(beta, *percentile_interval(betas, confidence)),
        alpha_spread=Estimate.of(spread.alpha, *percentile_interval(spread.alphas, confidence)),
        beta_spread=Estimate.of(spread.beta, *percentile_interval(spread.betas, confidence)),
        weights=curve.law.weights,
        d_star=Estimate.of(d_star, d_low, d_high),
        n_star=Estimate.of(n_star, peak_n(d_low), peak_n(d_high)),
        n_star_power_of_two=nearest_power_of_two(n_star),
        peak=state,
        gap=gap,
        message=message,
    )
    return fit, note


def _gap(
    n_star: float,
    proxy: Sequence[np.ndarray],
    gold: Sequence[np.ndarray],
    scales: Scales,
    means: dict[str, np.ndarray],
) -> Gap:
    """Best-of-n at n* rounded (the estimator takes any integer n), gains over n = 1."""
    n = max(1, round(n_star))
    at_proxy = float(bon_table(proxy, proxy, [n]).mean())
    at_gold = float(bon_table(proxy, gold, [n]).mean())
    proxy_gain = (at_proxy - means["proxy"][0]) / scales.proxy_sd
    gold_gain = (at_gold - means["gold"][0]) / scales.gold_sd
    return Gap(
        n=n,
        proxy=at_proxy,
        gold=at_gold,
        proxy_gain=float(proxy_gain),
        gold_gain=float(gold_gain),
        gap=float(proxy_gain - gold_gain),
    )


def _count(n: float) -> str:
    """A sample count for a message: whole below a million, else three digits and a power
    (an extrapolated n* can be 10^22, whose digits say nothing)."""
    return f"{n:.0f}" if n < 1e6 else f"{n:.3g}"
