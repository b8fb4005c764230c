"""Intervals on known counts, Bradley-Terry recovering a known ordering, and the Compare
analytics by version (counts, Wilson intervals, cost per accepted clip, strength)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from scipy.optimize import brentq

from takelab.errors import TakeNotFoundError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media.metric_names import format_metric, metric_label
from takelab.review.analytics import journal_frame, summary_for, version_difference, version_summary
from takelab.review.ranking import Z95, bradley_terry, rank, rate_difference, wilson
from test_journal import req as journal_req

# Wilson 95% intervals as published (e.g. Newcombe 1998, Table I; Brown, Cai & DasGupta 2001).
KNOWN_WILSON = {
    (0, 10): (0.0, 0.2775),
    (1, 10): (0.0179, 0.4042),
    (5, 10): (0.2366, 0.7634),
    (10, 10): (0.7225, 1.0),
    (81, 263): (0.2553, 0.3662),
}


@pytest.mark.parametrize(("k", "n"), list(KNOWN_WILSON))
def test_wilson_matches_published_values(k: int, n: int) -> None:
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(KNOWN_WILSON[(k, n)][0], abs=6e-5)
    assert hi == pytest.approx(KNOWN_WILSON[(k, n)][1], abs=6e-5)


@pytest.mark.parametrize(("k", "n"), [(1, 3), (2, 7), (13, 40), (39, 40)])
def test_wilson_bounds_solve_the_score_equation(k: int, n: int) -> None:
    """Each bound is the p where |k/n - p| = z * sqrt(p (1 - p) / n), found numerically."""
    p_hat = k / n

    def score(p: float) -> float:
        return abs(p_hat - p) - Z95 * math.sqrt(p * (1 - p) / n)

    lo, hi = wilson(k, n)
    assert lo == pytest.approx(brentq(score, 1e-12, p_hat), abs=1e-9)
    assert hi == pytest.approx(brentq(score, p_hat, 1 - 1e-12), abs=1e-9)


def test_wilson_edges() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(4, 3)


def test_rate_difference_matches_newcombe_and_says_when_it_cannot_tell() -> None:
    # Newcombe (1998), "Interval estimation for the difference between independent
    # proportions", example (a): 56/70 - 48/80, method 10 gives 0.0524 to 0.3339.
    d = rate_difference(56, 70, 48, 80, names=("v2", "v1"))
    assert d.diff == pytest.approx(0.2)
    assert (d.lo, d.hi) == (pytest.approx(0.0524, abs=1e-4), pytest.approx(0.3339, abs=1e-4))
    assert d.tells and d.verdict.startswith("v2 is accepted more often than v1")
    small = rate_difference(2, 3, 1, 3)
    assert not small.tells
    assert small.verdict.startswith("3 reviewed takes each: not enough to tell")
    none = rate_difference(0, 0, 1, 3, names=("new", "old"))
    assert "new has no reviewed takes yet" in none.verdict


def test_bradley_terry_two_items_is_the_log_odds() -> None:
    pairs = [("a", "b", 1.0)] * 7 + [("a", "b", 0.0)] * 3
    a, b = bradley_terry(pairs, prior_sd=1e4)
    assert (a.key, b.key) == ("a", "b")
    assert a.strength - b.strength == pytest.approx(math.log(7 / 3), abs=1e-4)
    assert a.strength == pytest.approx(-b.strength)
    # se of the difference is 1 / sqrt(n p (1 - p)); each centred strength has half of it.
    half = Z95 * 0.5 / math.sqrt(10 * 0.7 * 0.3)
    assert a.hi - a.strength == pytest.approx(half, rel=1e-3)
    assert a.comparisons == b.comparisons == 10
    # "same" counts as half a win each: 5 ties are as good as an even split.
    even = bradley_terry([("a", "b", 0.5)] * 4)
    assert even[0].strength == pytest.approx(0.0, abs=1e-9)
    # A clean sweep still gives a finite strength (the weak prior) with a wide interval.
    sweep = bradley_terry([("a", "b", 1.0)] * 3)
    assert 0 < sweep[0].strength < 3 and sweep[0].lo < 0 < sweep[0].hi


def test_bradley_terry_recovers_a_known_ordering() -> None:
    truth = {"v1@aaaa0001": 1.5, "v2@aaaa0002": 0.5, "v3@aaaa0003": -0.5, "v4@aaaa0004": -1.5}
    rng = random.Random(7)
    keys = list(truth)
    pairs = []
    for _ in range(400):
        a, b = rng.sample(keys, 2)
        p = 1 / (1 + math.exp(truth[b] - truth[a]))
        pairs.append((a, b, 1.0 if rng.random() < p else 0.0))
    fitted = bradley_terry(pairs)
    assert [s.key for s in fitted] == keys
    for s in fitted:
        assert s.lo < truth[s.key] < s.hi, s
    assert sum(s.comparisons for s in fitted) == 800


def take(journal: Journal, shot: str, variant: str, version: str, seed: int, cost: float) -> str:
    req = journal_req(
        seed,
        shot=shot,
        variant=variant,
        prompt=f"{variant} wording {version}",
        backend="previz",
        model="animatic",
        duration_s=1,
        resolution="480p",
        variant_hash=version * 16,
    )
    journal.claim(req, cost, sweep_id="s")
    journal.settle(
        req.take_id, TakeState.DONE, cost_usd=cost, metrics={"motion": seed, "sharpness": 0.5}
    )
    return req.take_id


def test_rank_and_version_summary_from_the_journal(takelab_home: Path) -> None:
    home = Home(takelab_home)
    journal = Journal(home.journal_url)
    # Three versions of one shot: "a" is best, then "b", then "c"; a second shot is apart.
    ids = {v: [take(journal, "walk", "v1", v, s, 0.5) for s in (1, 2, 3)] for v in "abc"}
    other = take(journal, "cat", "v1", "d", 1, 0.5)
    for t, verdict, reasons in (
        (ids["a"][0], "accept", []),
        (ids["a"][1], "accept", []),
        (ids["a"][2], "reject", ["static"]),
        (ids["b"][0], "accept", []),
        (ids["b"][1], "reject", ["blurry"]),
        (ids["b"][2], "reject", ["blurry"]),
    ):
        journal.add_verdict(t, verdict, reasons)
    rng = random.Random(3)
    strength = {"a": 1.2, "b": 0.0, "c": -1.2}
    for _ in range(150):
        x, y = rng.sample("abc", 2)
        p = 1 / (1 + math.exp(strength[y] - strength[x]))
        u = rng.random()
        winner = "same" if abs(u - p) < 0.05 else ("a" if u < p else "b")
        journal.add_preference(rng.choice(ids[x]), rng.choice(ids[y]), winner)
    journal.add_preference(ids["a"][0], ids["a"][1], "a")  # same version: says nothing
    assert len(journal.preferences(project="p")) == 151

    ranked = rank("p", shot="walk", home=home)
    assert [s.key for s in ranked] == ["v1@aaaaaaaa", "v1@bbbbbbbb", "v1@cccccccc"]
    assert sum(s.comparisons for s in ranked) == 300
    assert rank("p", shot="cat", home=home) == []

    summary = version_summary(journal_frame("p", home=home))
    row = summary.set_index("version").loc["a" * 16]
    assert (row.takes, row.reviewed, row.accepted, row.rejected) == (3, 3, 2, 1)
    assert (row.rate_lo, row.rate_hi) == pytest.approx(wilson(2, 3))
    assert row.cost_per_accepted == pytest.approx(1.5 / 2)
    assert row.median_motion == 2 and row.median_sharpness == 0.5
    c = summary.set_index("version").loc["c" * 16]
    assert c.reviewed == 0 and math.isnan(c.rate) and math.isnan(c.cost_per_accepted)
    with_strength = summary_for("p", home=home).set_index("version")
    assert with_strength.loc["a" * 16].strength > with_strength.loc["c" * 16].strength
    assert with_strength.loc["a" * 16].comparisons > 0
    assert with_strength.loc["d" * 16].comparisons == 0
    by_backend = version_summary(journal_frame("p", home=home), backend=True)
    assert "backend" in by_backend.columns and len(by_backend) == 4

    d = version_difference(
        summary, {"shot": "walk", "version": "aaaa"}, {"shot": "walk", "version": "bbbb"}
    )
    assert d.verdict.startswith("3 reviewed takes each: not enough to tell")
    assert other in {t.take_id for t in journal.takes(project="p")}


def test_preferences_are_checked(takelab_home: Path) -> None:
    journal = Journal(Home(takelab_home).journal_url)
    a = take(journal, "walk", "v1", "a", 1, 0.0)
    b = take(journal, "walk", "v1", "b", 1, 0.0)
    with pytest.raises(UsageError, match="winner must be"):
        journal.add_preference(a, b, "left")
    with pytest.raises(UsageError, match="itself"):
        journal.add_preference(a, a, "a")
    with pytest.raises(TakeNotFoundError):
        journal.add_preference(a, "0" * 16, "a")
    pid = journal.add_preference(a, b, "B", "sharper")
    saved = journal.preference(pid)
    assert (saved.winner, saved.reason, saved.project, saved.logged) == ("b", "sharper", "p", False)


def test_metric_names_carry_units() -> None:
    assert metric_label("motion") == "Motion (px/frame)"
    assert metric_label("cost_per_accepted") == "Cost per accepted clip (USD)"
    assert metric_label("median_flicker") == "Flicker (median) (levels)"
    assert format_metric("cost_usd", 0.4234) == "$0.42"
    assert format_metric("rate", 0.375) == "38%"
    assert format_metric("latency_s", 2.46) == "2.5 s"
    assert format_metric("motion", None) == "–"
    assert metric_label("some_new_metric") == "Some new metric"


def test_preferences_on_sqlite_and_postgres(journal_at: str | Path) -> None:
    """The preferences table and the git_dirty column migrate and work on both stores."""
    journal = Journal(journal_at)
    a = take(journal, "walk", "v1", "a", 1, 0.0)
    b = take(journal, "walk", "v1", "b", 1, 0.0)
    first = journal.add_preference(a, b, "a", "steadier", "ana")
    second = journal.add_preference(b, a, "same")
    assert second > first
    prefs = journal.preferences(project="p")
    assert [(p.take_a, p.take_b, p.winner, p.reviewer) for p in prefs] == [
        (a, b, "a", "ana"),
        (b, a, "same", ""),
    ]
    journal.mark_preferences_logged([first])
    assert [p.id for p in journal.preferences(unlogged=True)] == [second]
    record = journal.get(a)
    assert record is not None and record.git_dirty is None and record.version == "a" * 16
