"""The work done for one input, in a worker process: decode, track or detect, write the output.

The rows are the CLI's: :class:`pyfacelm.csv_output.CsvWriter` formats them exactly as
``pyfacelm video`` / ``pyfacelm image`` do, and Parquet stores those same values, typed. A
problem with the input is returned as a failed :class:`InputResult` (the batch goes on); a problem
with the model files is raised (every input would fail the same way).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from ..csv_output import CsvWriter, header
from ..detector import CLNFDetector, cached_detector
from ..errors import ModelFormatError, ModelNotFoundError
from ..video import open_video, require_cv2
from .inputs import Job, fingerprint, image_files
from .outputs import OutputFile, output_path
from .worker import worker_rss_mb

__all__ = ["InputResult", "Settings", "detect_images", "process", "track"]


@dataclass(frozen=True)
class Settings:
    """Everything besides the input that determines an output (recorded in its metadata)."""

    out_dir: str
    model: str
    model_dir: str | None
    max_faces: int | None
    fmt: str

    def recorded(self) -> dict[str, Any]:
        """The settings an existing output must match to be reused."""
        return {"model": self.model, "max_faces": self.max_faces, "format": self.fmt}


@dataclass
class InputResult:
    """What happened to one input: ``status`` is ``done`` (processed now), ``skipped`` (complete
    from an earlier run) or ``failed`` (``error`` says why, in one line)."""

    input: str
    output: str | None
    status: str
    frames: int = 0
    frames_with_face: int = 0
    rows: int = 0
    seconds: float = 0.0
    error: str | None = None
    worker: str | None = None
    worker_rss_mb: float | None = field(default=None, repr=False)


def track(det: CLNFDetector, job: Job, max_faces: int | None, out: TextIO) -> tuple[int, int]:
    """Track a video or image sequence into CSV rows as ``pyfacelm video`` does.

    Returns (frames, frames with a successfully fitted face).
    """
    source = open_video(job.source)
    tracker = det.tracker(max_faces=max_faces)
    writer = CsvWriter(out, sequence=True, n_landmarks=det.n_landmarks, n_modes=det.n_modes)
    n = with_face = 0
    for n, frame in enumerate(source, start=1):
        faces = tracker.update(frame)
        ts = source.timestamp(n - 1)
        if max_faces == 1:
            writer.write_frame(n, ts, faces[0] if faces else None, 0)
        else:
            for f in faces:
                writer.write_frame(n, ts, f, f.face_id or 0)
        with_face += any(f.success for f in faces)
    if n == 0:
        raise OSError("no frames could be read")
    announced = source.frame_count
    # Containers without an exact frame count (WMV, some MP4/MKV) announce an estimate from the
    # duration that can be a frame or two high; a larger shortfall is a truncated/corrupt file.
    if not source.is_sequence and announced and n < announced - max(2, announced // 100):
        raise OSError(
            f"truncated or corrupt video: decoded {n} of the {announced} frames it announces"
        )
    return n, with_face


def detect_images(det: CLNFDetector, job: Job, out: TextIO) -> tuple[int, int]:
    """Detect every face in an image or a folder of images, as ``pyfacelm image`` does.

    Returns (images, images with a successfully fitted face).
    """
    cv2 = require_cv2()
    src = Path(job.source)
    files = image_files(src) if src.is_dir() else [src]
    writer = CsvWriter(out, sequence=False, n_landmarks=det.n_landmarks, n_modes=det.n_modes)
    with_face = 0
    for f in files:
        img = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if img is None:
            raise OSError(f"cannot read image {f.name}")
        faces = det.detect(img)
        for i, face in enumerate(faces):
            writer.write_image_face(f.name, i, face)
        with_face += any(face.success for face in faces)
    return len(files), with_face


def _one_line(e: BaseException) -> str:
    msg = " ".join(str(e).split())
    if isinstance(e, OSError) and msg:
        return msg
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def process(job: Job, settings: Settings) -> InputResult:
    """Process one input into its output file (run in a worker process).

    Raises:
        ModelNotFoundError, ModelFormatError: the model files are missing or corrupt.
    """
    t0 = time.perf_counter()
    final = output_path(Path(settings.out_dir), job.name, settings.fmt)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    det = cached_detector(settings.model, settings.model_dir)
    try:
        stamp = fingerprint(job)  # before reading: a file changed meanwhile is redone next run
        sequence = job.mode != "images"
        columns = header(det.n_landmarks, 56, det.n_modes, sequence=sequence)
        with OutputFile(final, settings.fmt, columns) as out:
            lines = cast(TextIO, out)  # CsvWriter only calls write()
            if sequence:
                frames, with_face = track(det, job, settings.max_faces, lines)
            else:
                frames, with_face = detect_images(det, job, lines)
            rows = out.rows
            out.commit(
                {
                    **settings.recorded(),
                    **stamp,
                    "input": job.source,
                    "kind": job.mode,
                    "frames": frames,
                    "frames_with_face": with_face,
                }
            )
    except (ModelNotFoundError, ModelFormatError):
        raise
    except Exception as e:  # noqa: BLE001 - any failure of one input must not stop the batch
        return InputResult(
            job.source,
            None,
            "failed",
            seconds=time.perf_counter() - t0,
            error=_one_line(e),
            worker=worker,
            worker_rss_mb=worker_rss_mb(),
        )
    return InputResult(
        job.source,
        str(final),
        "done",
        frames,
        with_face,
        rows,
        time.perf_counter() - t0,
        worker=worker,
        worker_rss_mb=worker_rss_mb(),
    )
