"""MLflow: the tracker that mirrors the journal into runs, its store, its errors and `sync`.

`names.py` holds the contract's names (tags, params, links), `tracker.py` the MLflow
client, `take_log.py` the one way to log a take, `frame.py` take runs as a DataFrame.
`sync` (sync.py) is imported from its module: it sits above review/, which imports this.
"""

from takelab.tracking.names import run_link, take_params, ui_url
from takelab.tracking.take_log import log_take
from takelab.tracking.tracker import Tracker, takes_frame

__all__ = ["Tracker", "log_take", "run_link", "take_params", "takes_frame", "ui_url"]
