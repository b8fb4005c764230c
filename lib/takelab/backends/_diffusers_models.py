"""The local models behind `diffusers:svd`, `:ltx` and `:wan`: where their weights come from,
which device and dtype they run in, how a take's settings become a pipeline call, and
loading each pipeline once per process.

Sizes: a take's frame is `shots.frame_size(aspect, resolution)`, but each model needs its
frame in whole cells of its latent grid (SVD 64 px, LTX 32 px, Wan 16 px for the released
weights; read from the loaded pipeline, so small test models work too). The model generates
at the frame size rounded *up* to that grid and the frames are centre-cropped back, so the
file has exactly the asked size and nothing is stretched. Frame counts: duration x the
model's frame rate, rounded to the nearest count the model accepts (LTX 8k+1, Wan 4k+1).

torch and diffusers are imported only here and only when a model is used, through
`importlib`, so importing takelab starts nothing and needs neither.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from PIL import Image

from takelab.backends._base import TakeRequest
from takelab.errors import BackendError, LocalModelError, UsageError
from takelab.project.model import frame_size
from takelab.settings import settings

BACKEND = "diffusers"
DEVICE_ENV = "TAKELAB_DIFFUSERS_DEVICE"
DTYPE_ENV = "TAKELAB_DIFFUSERS_DTYPE"
STEPS_ENV = "TAKELAB_DIFFUSERS_STEPS"
INSTALL_HINT = "pip install '.[local]' in the takelab checkout (or: make setup-local)"
DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
}


def import_stack() -> tuple[ModuleType, ModuleType]:
    """torch and diffusers, or a BackendError that says how to install them."""
    try:
        torch = importlib.import_module("torch")
        diffusers = importlib.import_module("diffusers")
    except ImportError as exc:
        raise BackendError(
            BACKEND, f"PyTorch and diffusers are needed for local models ({exc})", hint=INSTALL_HINT
        ) from exc
    return torch, diffusers


def dtype_keyword() -> str:
    """`dtype`, or `torch_dtype` for diffusers from before it took `dtype` (mid 2026)."""
    try:
        utils = importlib.import_module("diffusers.utils.deprecation_utils")
    except ImportError:
        return "torch_dtype"
    return "dtype" if hasattr(utils, "_resolve_dtype") else "torch_dtype"


def device() -> str:
    """TAKELAB_DIFFUSERS_DEVICE, else CUDA, else Apple's MPS, else the CPU."""
    chosen = settings().diffusers_device.lower()
    if chosen:
        return chosen
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def steps(model: LocalModel) -> int:
    """Denoising steps: TAKELAB_DIFFUSERS_STEPS, else the model's recommended count."""
    chosen = settings().diffusers_steps
    return model.steps if chosen is None else chosen


@dataclass(frozen=True)
class Shape:
    """What one take generates: frames, frame rate, the file's size and the model's size."""

    frames: int
    fps: int
    width: int
    height: int
    gen_width: int
    gen_height: int


def frame_count(duration_s: float, fps: int, step: int) -> int:
    """duration x fps, rounded to the nearest count of the form step*k+1 (k >= 1)."""
    n = max(1, round(duration_s * fps))
    if step > 1:
        n = max(1, round((n - 1) / step)) * step + 1
    return n


def _round_up(x: int, multiple: int) -> int:
    return math.ceil(x / multiple) * multiple


class LocalModel:
    """One open video model: its pipeline, weights, frame rate, limits and call."""

    name: ClassVar[str]
    pipeline: ClassVar[str]  # the diffusers pipeline class
    default_source: ClassVar[str]  # Hugging Face hub id
    fps: ClassVar[int]
    max_duration_s: ClassVar[float]
    steps: ClassVar[int]  # the model card's recommended denoising steps
    gpu_dtype: ClassVar[str]  # what it runs in on CUDA or MPS
    image_input: ClassVar[bool] = False

    @property
    def env(self) -> str:
        """The environment variable that points at other weights."""
        return f"TAKELAB_DIFFUSERS_{self.name.upper()}"

    def source(self) -> str:
        return str(settings().value_of(self.env) or self.default_source)

    def dtype(self, on: str) -> str:
        """TAKELAB_DIFFUSERS_DTYPE, else float32 on the CPU and the model's own on a GPU."""
        raw = settings().diffusers_dtype.lower()
        if raw:
            if raw not in DTYPES:
                raise UsageError(
                    f"{DTYPE_ENV}={raw!r} is not a dtype", hint="float32, float16 or bfloat16"
                )
            return DTYPES[raw]
        return "float32" if on == "cpu" else self.gpu_dtype

    def spatial_multiple(self, pipe: Any) -> int:
        raise NotImplementedError

    def temporal_step(self, pipe: Any) -> int:
        return 1

    def extra_components(
        self, diffusers: ModuleType, torch: ModuleType, source: str, dtype: str
    ) -> dict[str, Any]:
        """Components loaded apart from the pipeline (e.g. a VAE kept in float32)."""
        return {}

    def shape(self, pipe: Any, request: TakeRequest) -> Shape:
        width, height = frame_size(request.aspect, request.resolution)
        multiple = self.spatial_multiple(pipe)
        return Shape(
            frames=frame_count(request.duration_s, self.fps, self.temporal_step(pipe)),
            fps=self.fps,
            width=width,
            height=height,
            gen_width=_round_up(width, multiple),
            gen_height=_round_up(height, multiple),
        )

    def call_kwargs(
        self, request: TakeRequest, shape: Shape, image: Image.Image | None
    ) -> dict[str, Any]:
        """The pipeline's arguments for a take, less the generator and callback."""
        return {
            "height": shape.gen_height,
            "width": shape.gen_width,
            "num_frames": shape.frames,
            "num_inference_steps": steps(self),
            "output_type": "np",
        }


class SVD(LocalModel):
    """Stable Video Diffusion: animates a first frame (image to video, no prompt)."""

    name = "svd"
    pipeline = "StableVideoDiffusionPipeline"
    default_source = "stabilityai/stable-video-diffusion-img2vid-xt"
    fps = 7  # what it was trained at (its `fps` conditioning); 25 frames = 3.6 s
    max_duration_s = 3.5
    steps = 25
    gpu_dtype = "float16"
    image_input = True

    def spatial_multiple(self, pipe: Any) -> int:
        downsamples = len(pipe.unet.config.down_block_types) - 1
        return int(pipe.vae_scale_factor) << downsamples

    def call_kwargs(
        self, request: TakeRequest, shape: Shape, image: Image.Image | None
    ) -> dict[str, Any]:
        assert image is not None
        from PIL import ImageOps

        fitted = ImageOps.fit(image, (shape.gen_width, shape.gen_height), Image.Resampling.BICUBIC)
        # Decoding a few frames at a time keeps the VAE's memory flat for long clips.
        extra = {"image": fitted, "fps": shape.fps, "decode_chunk_size": 8}
        return {**super().call_kwargs(request, shape, image), **extra}


class LTX(LocalModel):
    """LTX-Video: fast text to video."""

    name = "ltx"
    pipeline = "LTXPipeline"
    default_source = "Lightricks/LTX-Video"
    fps = 24
    max_duration_s = 10.0  # 241 frames; the model takes up to 257
    steps = 50
    gpu_dtype = "bfloat16"

    def spatial_multiple(self, pipe: Any) -> int:
        return int(pipe.vae_spatial_compression_ratio) * int(pipe.transformer_spatial_patch_size)

    def temporal_step(self, pipe: Any) -> int:
        return int(pipe.vae_temporal_compression_ratio) * int(pipe.transformer_temporal_patch_size)

    def call_kwargs(
        self, request: TakeRequest, shape: Shape, image: Image.Image | None
    ) -> dict[str, Any]:
        extra = {
            "prompt": request.prompt,
            "negative_prompt": request.negative,
            "frame_rate": shape.fps,
        }
        return {**super().call_kwargs(request, shape, image), **extra}


class Wan(LocalModel):
    """Wan 2.1 text to video (the 1.3B model by default)."""

    name = "wan"
    pipeline = "WanPipeline"
    default_source = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
    fps = 16
    max_duration_s = 5.0  # 81 frames, what it was trained on
    steps = 50
    gpu_dtype = "bfloat16"

    def spatial_multiple(self, pipe: Any) -> int:
        patch = int(pipe.transformer.config.patch_size[1])
        return int(pipe.vae_scale_factor_spatial) * patch

    def temporal_step(self, pipe: Any) -> int:
        return int(pipe.vae_scale_factor_temporal)

    def extra_components(
        self, diffusers: ModuleType, torch: ModuleType, source: str, dtype: str
    ) -> dict[str, Any]:
        if dtype == "float32":
            return {}
        # Wan's model card keeps its VAE in float32: in half precision its decode smears.
        kwargs = {dtype_keyword(): torch.float32}
        vae = diffusers.AutoencoderKLWan.from_pretrained(source, subfolder="vae", **kwargs)
        return {"vae": vae}

    def call_kwargs(
        self, request: TakeRequest, shape: Shape, image: Image.Image | None
    ) -> dict[str, Any]:
        extra = {"prompt": request.prompt, "negative_prompt": request.negative}
        return {**super().call_kwargs(request, shape, image), **extra}


MODELS: dict[str, LocalModel] = {m.name: m for m in (SVD(), LTX(), Wan())}


@dataclass(frozen=True)
class Loaded:
    """A pipeline in memory, where it runs and in what precision."""

    pipe: Any
    device: str
    dtype: str
    source: str


_PIPELINES: dict[tuple[str, str, str, str], Loaded] = {}
_LOAD_LOCK = threading.Lock()


def _looks_like_path(source: str) -> bool:
    # A hub id is exactly `owner/name`; anything else with a separator is meant as a folder.
    return source.startswith(("/", ".", "~")) or source.count("/") > 1 or "\\" in source


def load(model: LocalModel) -> Loaded:
    """The model's pipeline on its device, loaded on first use and then kept for the process.

    Raises LocalModelError (naming the variable to set) when the weights cannot be found or
    loaded, before anything is generated.
    """
    on = device()
    dtype = model.dtype(on)
    source = model.source()
    key = (model.name, source, on, dtype)
    with _LOAD_LOCK:
        if key in _PIPELINES:
            return _PIPELINES[key]
        torch, diffusers = import_stack()
        folder = Path(source).expanduser()
        if folder.exists():
            if not (folder / "model_index.json").is_file():
                raise LocalModelError(
                    BACKEND,
                    model.name,
                    source,
                    model.env,
                    "not a diffusers folder (no model_index.json)",
                )
            source = str(folder)
        elif _looks_like_path(source):
            raise LocalModelError(BACKEND, model.name, source, model.env, "no such folder")
        if model.name == "wan" and importlib.util.find_spec("accelerate") is None:
            raise BackendError(
                BACKEND,
                "loading Wan needs the accelerate package (diffusers keeps parts of it in float32)",
                hint="pip install accelerate",
            )
        if on.startswith("cuda") and not torch.cuda.is_available():
            raise BackendError(
                BACKEND,
                f"{DEVICE_ENV}={on} but PyTorch sees no CUDA device",
                hint="unset it, or install PyTorch's CUDA build (make setup-local TORCH=torch)",
            )
        try:
            cls = getattr(diffusers, model.pipeline)
            torch_dtype = getattr(torch, dtype)
            extra = model.extra_components(diffusers, torch, source, dtype)
            extra[dtype_keyword()] = torch_dtype
            pipe = cls.from_pretrained(source, **extra)
            pipe.to(on)
        except Exception as exc:
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise LocalModelError(BACKEND, model.name, source, model.env, detail[:400]) from exc
        loaded = _PIPELINES[key] = Loaded(pipe, on, dtype, source)
        return loaded
