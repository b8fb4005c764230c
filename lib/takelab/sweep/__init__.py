"""Sweeps: the plan (variants x backends x seeds), one take's run, the papermill notebook,
progress and Ray.

One typed boundary: a `SweepSpec` says what to sweep, a `SweepResult` says what it did.
`run_sweep` / `run_spec` run one in this process; `sweep_in_notebook` runs it through the
sweep notebook (whose body is `run_in_notebook`); `SweepLaunch` runs that in a thread that
a caller (the CLI, a widget) follows and can stop.
"""

from takelab.sweep.launch import SweepLaunch
from takelab.sweep.notebook import run_in_notebook, sweep_in_notebook
from takelab.sweep.result import Outcome, SweepResult
from takelab.sweep.run import run_spec, run_sweep
from takelab.sweep.spec import SweepSpec

__all__ = [
    "Outcome",
    "SweepLaunch",
    "SweepResult",
    "SweepSpec",
    "run_in_notebook",
    "run_spec",
    "run_sweep",
    "sweep_in_notebook",
]
