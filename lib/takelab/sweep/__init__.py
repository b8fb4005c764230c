"""Sweeps: the plan (variants x backends x seeds), one take's run, the papermill notebook,
progress and Ray.

One typed boundary: a `SweepSpec` (spec.py) says what to sweep, a `SweepResult`
(result.py) says what it did; both re-exported here. The code that runs them sits higher
and is imported from its module, so that importing any part of sweep/ does not pull in
all of it: `run_sweep` / `run_spec` (run.py) run a spec in this process;
`sweep_in_notebook` (notebook.py) runs it through the sweep notebook, whose body is
`run_in_notebook`; `SweepLaunch` (launch.py) runs that in a thread that a caller (the
CLI, a widget) follows and can stop.
"""

from takelab.sweep.result import Outcome, SweepResult
from takelab.sweep.spec import RaisedError, SweepSpec

__all__ = ["Outcome", "RaisedError", "SweepResult", "SweepSpec"]
