"""Video files: reading (`probe`), writing (`encode`), previews, frame statistics, quality
checks (QA, `quality` and `audio_quality`) and the metric names they report.

`io` gathers probe, encode and previews in one import. `take_files` (a take's files on
this machine, fetched from MLflow) is not re-exported here: it stands above the journal
and tracking, and this package stands below the backends that write videos.
"""

from takelab.media.audio_quality import AudioQuality, measure_audio
from takelab.media.encode import FrameWriter
from takelab.media.metric_names import format_metric, metric_label, metric_name
from takelab.media.previews import make_contact_sheet, make_preview_gif, make_previews
from takelab.media.probe import VideoInfo, check_decodes, ffmpeg_exe, has_audio, probe
from takelab.media.quality import Quality, measure

__all__ = [
    "AudioQuality",
    "FrameWriter",
    "Quality",
    "VideoInfo",
    "check_decodes",
    "ffmpeg_exe",
    "format_metric",
    "has_audio",
    "make_contact_sheet",
    "make_preview_gif",
    "make_previews",
    "measure",
    "measure_audio",
    "metric_label",
    "metric_name",
    "probe",
]
