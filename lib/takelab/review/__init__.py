"""Review: verdicts, preferences and ranking, versions, analytics, learning and listing
takes."""

from takelab.review.analytics import (
    AcceptanceRate,
    acceptance_history,
    journal_frame,
    summary_by,
    summary_for,
    version_summary,
)
from takelab.review.learning import learning_effects, suggestions
from takelab.review.listing import reviewed_takes, take_rows
from takelab.review.preferences import PreferenceResult, record_preference
from takelab.review.ranking import Strength, bradley_terry, rank, wilson
from takelab.review.verdicts import VerdictResult, record_verdict
from takelab.review.versions import VersionRow, diff_versions, versions

__all__ = [
    "AcceptanceRate",
    "PreferenceResult",
    "Strength",
    "VerdictResult",
    "VersionRow",
    "acceptance_history",
    "bradley_terry",
    "diff_versions",
    "journal_frame",
    "learning_effects",
    "rank",
    "record_preference",
    "record_verdict",
    "reviewed_takes",
    "suggestions",
    "summary_by",
    "summary_for",
    "take_rows",
    "version_summary",
    "versions",
    "wilson",
]
