"""ipywidgets UIs for JupyterLab: Studio (write and try variants), Dailies (review takes),
the A/B player and the review grid (takes side by side, in sync) and Compare (decide what
pays off), plus the library functions behind Compare.

Importing this package imports no widget library; each UI imports ipywidgets when built.
"""

from takelab.widgets._player import JupyterServer, MediaLinks
from takelab.widgets.ab import ABPlayer, pick_pair, side_by_side
from takelab.widgets.compare import (
    DEFAULT_ACCEPTANCE,
    AcceptanceRate,
    Compare,
    acceptance_chart,
    acceptance_history,
    lint_by_verdict,
    rejection_reasons,
    summary_by,
    table_html,
    takes_table,
)
from takelab.widgets.dailies import Dailies
from takelab.widgets.grid import ReviewGrid
from takelab.widgets.project_edit import (
    Edit,
    ProjectEditError,
    add_variant,
    duplicate_variant,
    update_variant,
)
from takelab.widgets.studio import Studio

__all__ = [
    "DEFAULT_ACCEPTANCE",
    "ABPlayer",
    "AcceptanceRate",
    "Compare",
    "Dailies",
    "Edit",
    "JupyterServer",
    "MediaLinks",
    "ProjectEditError",
    "ReviewGrid",
    "Studio",
    "acceptance_chart",
    "acceptance_history",
    "add_variant",
    "duplicate_variant",
    "lint_by_verdict",
    "pick_pair",
    "rejection_reasons",
    "side_by_side",
    "summary_by",
    "table_html",
    "takes_table",
    "update_variant",
]
