"""`takelab doctor`: diagnose and repair what a crash or an outage left behind (`diagnose`),
rebuild a lost or damaged journal (`rescue`) and check the tracking store and previews
(`crash`)."""

from takelab.doctor.diagnose import Problem, Report, doctor
from takelab.doctor.rescue import check_journal, import_lost_jobs, rebuild

__all__ = [
    "Problem",
    "Report",
    "check_journal",
    "doctor",
    "import_lost_jobs",
    "rebuild",
]
