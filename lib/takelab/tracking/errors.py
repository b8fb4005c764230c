"""MLflow's refusals told apart from its absence: a wrong login is not "unreachable"."""

from __future__ import annotations

from takelab.errors import TakelabError

_REFUSED = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}


def refused(exc: BaseException) -> TakelabError | None:
    """A one-line error for MLflow's 401/403, or None when `exc` is something else."""
    code = getattr(exc, "error_code", None)
    text = str(exc)
    if code == _REFUSED[401] or " 401 " in text or "error code 401" in text:
        return TakelabError(
            "MLflow refused the login (401): MLFLOW_TRACKING_USERNAME or"
            " MLFLOW_TRACKING_PASSWORD is wrong",
            hint="export the lines `takelab team add-member` printed for you; nothing was spent",
        )
    if code == _REFUSED[403] or "error code 403" in text:
        first = text.strip().splitlines()[0][:200] if text.strip() else "403"
        return TakelabError(
            f"MLflow refused this member (403): {first}",
            hint="a member changes only runs in their own experiments; others' are read-only",
        )
    return None


def unreachable(exc: BaseException) -> TakelabError:
    """One line for an MLflow server that does not answer."""
    text = str(exc).strip().splitlines()
    first = text[0][:200] if text else type(exc).__name__
    return TakelabError(
        f"MLflow is unreachable: {first}",
        hint="is the team server up (`make team-up`)? check MLFLOW_TRACKING_URI",
    )
