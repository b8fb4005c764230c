"""How sure can we be? Accept rates with Wilson intervals, the difference of two rates
with Newcombe's interval and a plain sentence, and a Bradley-Terry ranking of versions
from side-by-side preferences.

All intervals are 95% unless `z` says otherwise. Small numbers are the normal case here
(a handful of takes per version), which is why the intervals are score intervals, not
the normal approximation that collapses to zero width at 0 or n successes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from takelab.home import Home
from takelab.journal.store import Journal

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n; (0, 1) when n is 0."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # Clamp rounding noise at the ends (k = 0 or k = n give exactly 0 or 1).
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class RateDiff:
    """Accept rate of A minus that of B, with a 95% interval and what it means."""

    diff: float
    lo: float
    hi: float
    n_a: int
    n_b: int
    verdict: str

    @property
    def tells(self) -> bool:
        """Whether the interval excludes zero: the data can tell the two apart."""
        return self.lo > 0 or self.hi < 0


def _counts(n_a: int, n_b: int) -> str:
    if n_a == n_b:
        return f"{n_a} reviewed take{'s' if n_a != 1 else ''} each"
    return f"{n_a} and {n_b} reviewed takes"


def _points(x: float) -> str:
    """A difference of two rates in percentage points: `+20 points`."""
    return f"{x * 100:+.0f} points"


def rate_difference(
    k_a: int,
    n_a: int,
    k_b: int,
    n_b: int,
    *,
    names: tuple[str, str] = ("A", "B"),
    z: float = Z95,
) -> RateDiff:
    """p_a - p_b with Newcombe's hybrid score interval (from the two Wilson intervals),
    and a sentence saying whether the data can tell the two apart yet."""
    if n_a == 0 or n_b == 0:
        which = names[0] if n_a == 0 else names[1]
        return RateDiff(
            0.0, -1.0, 1.0, n_a, n_b, f"{which} has no reviewed takes yet: nothing to compare"
        )
    pa, pb = k_a / n_a, k_b / n_b
    la, ua = wilson(k_a, n_a, z)
    lb, ub = wilson(k_b, n_b, z)
    d = pa - pb
    lo = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    hi = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    span = f"{_points(d)}, 95% interval {_points(lo)} to {_points(hi)}"
    if lo > 0 or hi < 0:
        better, worse = names if d > 0 else names[::-1]
        verdict = f"{better} is accepted more often than {worse} ({span}; {_counts(n_a, n_b)})"
    else:
        verdict = f"{_counts(n_a, n_b)}: not enough to tell ({span})"
    return RateDiff(d, lo, hi, n_a, n_b, verdict)


# -- Bradley-Terry -----------------------------------------------------------------------


@dataclass(frozen=True)
class Strength:
    """One item's Bradley-Terry strength (log-odds; the items average 0) with its 95%
    interval and the number of comparisons it took part in. P(i beats j) is
    1 / (1 + exp(strength_j - strength_i))."""

    key: str
    strength: float
    lo: float
    hi: float
    comparisons: int


def bradley_terry(
    pairs: Sequence[tuple[str, str, float]],
    *,
    prior_sd: float = 2.0,
    z: float = Z95,
    max_iter: int = 100,
) -> list[Strength]:
    """Fit strengths to (a, b, score_a) comparisons, score_a being 1 (a won), 0 (b won) or
    0.5 (the same: half a win each); strongest first.

    Newton's method on the log-likelihood plus a weak normal prior N(0, prior_sd^2) on each
    strength: the prior makes the fit exist when an item won (or lost) every comparison and
    pins the scale's origin; with many comparisons it fades to maximum likelihood. Intervals
    come from the curvature at the optimum (observed Fisher information plus the prior),
    for strengths centred on their mean."""
    keys = sorted({k for a, b, _ in pairs for k in (a, b)})
    if not keys:
        return []
    index = {k: i for i, k in enumerate(keys)}
    ia = np.array([index[a] for a, _, _ in pairs], dtype=int)
    ib = np.array([index[b] for _, b, _ in pairs], dtype=int)
    score = np.array([float(s) for _, _, s in pairs])
    if np.any((score < 0) | (score > 1)):
        raise ValueError("a comparison's score must lie between 0 and 1")
    n = len(keys)
    theta = np.zeros(n)
    precision = 1.0 / prior_sd**2
    hess = np.eye(n) * precision
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(theta[ia] - theta[ib])))  # P(a beats b)
        resid = score - p
        grad = -precision * theta
        np.add.at(grad, ia, resid)
        np.subtract.at(grad, ib, resid)
        w = p * (1 - p)
        hess = np.eye(n) * precision  # negative Hessian of the log-posterior
        np.add.at(hess, (ia, ia), w)
        np.add.at(hess, (ib, ib), w)
        np.subtract.at(hess, (ia, ib), w)
        np.subtract.at(hess, (ib, ia), w)
        step = np.linalg.solve(hess, grad)
        theta = theta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    # Only differences of strengths mean anything: report them around their mean, with the
    # covariance of the centred strengths, so the (prior-only) uncertainty of a common
    # shift does not widen every interval.
    centre = np.eye(n) - np.full((n, n), 1.0 / n)
    theta = centre @ theta
    cov = centre @ np.linalg.inv(hess) @ centre.T
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    counts = np.zeros(n, dtype=int)
    np.add.at(counts, ia, 1)
    np.add.at(counts, ib, 1)
    out = [
        Strength(
            k,
            float(theta[i]),
            float(theta[i] - z * se[i]),
            float(theta[i] + z * se[i]),
            int(counts[i]),
        )
        for k, i in index.items()
    ]
    return sorted(out, key=lambda s: (-s.strength, s.key))


SCORE = {"a": 1.0, "b": 0.0, "same": 0.5}


def preference_pairs(
    project: str, *, shot: str, home: Home | None = None
) -> list[tuple[str, str, float]]:
    """The project's preferences between takes of `shot` as (a, b, score_a) pairs between
    versions, keyed `variant@version` (8 hex). Two takes of one version tell nothing about
    versions and are left out."""
    home = home or Home.from_env()
    if not home.has_journal:
        return []
    journal = Journal(home.journal_url)
    takes = {t.take_id: t for t in journal.takes(project=project)}
    pairs = []
    for p in journal.preferences(project=project):
        a, b = takes.get(p.take_a), takes.get(p.take_b)
        if a is None or b is None or a.shot != shot or b.shot != shot:
            continue
        ka, kb = f"{a.variant}@{a.version[:8]}", f"{b.variant}@{b.version[:8]}"
        if ka != kb:
            pairs.append((ka, kb, SCORE[p.winner]))
    return pairs


def rank(project: str | Path, *, shot: str, home: Home | None = None) -> list[Strength]:
    """Bradley-Terry strengths of the versions of one shot from the preferences recorded
    between its takes (`takelab prefer`, the A/B player); strongest first."""
    from takelab.review.versions import project_id

    return bradley_terry(preference_pairs(project_id(project), shot=shot, home=home))
