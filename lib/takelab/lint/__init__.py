"""The prompt linter: rules and findings (`rules`), the checks behind them (`checks`), the
lexicon by concept (`lexicon`, `motion`, `subjects`, `story`, `wording`, `content`,
`figures`, `camera`, `speech`; word lists in `data/`), fixes (`fixes`) and scoring on a
judged set (`score`).
"""

from takelab.lint.fixes import Edit, apply_edits
from takelab.lint.rules import (
    DEFAULT_DURATION_S,
    RULES,
    Finding,
    Rule,
    Severity,
    blocking,
    lint_project,
    lint_text,
    lint_variant,
)

__all__ = [
    "DEFAULT_DURATION_S",
    "RULES",
    "Edit",
    "Finding",
    "Rule",
    "Severity",
    "apply_edits",
    "blocking",
    "lint_project",
    "lint_text",
    "lint_variant",
]
