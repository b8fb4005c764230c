"""Video files: reading (`probe`), writing (`encode`), previews, frame statistics, quality
checks (QA, `quality` and `audio_quality`) and the metric names they report.

`io` gathers probe, encode and previews in one import. A take's files fetched from its
MLflow run are `review.take_files`: this package stands below the journal, tracking and
the backends that write videos, and imports none of them.
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
