"""Reading frames from video files and image folders (needs the ``video`` extra: OpenCV).

pyfacelm's core only needs numpy; decoding uses opencv-python-headless, which is what
OpenFace-style users already have, decodes the formats OpenFace's samples use (AVI/DivX, WMV2,
MP4, image sequences) through its bundled FFmpeg, gives BGR frames bit-identical to OpenFace's
own OpenCV decoding on the samples, and has wheels for every platform pyfacelm supports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["IMAGE_EXTENSIONS", "VideoSource", "iter_video", "open_video", "require_cv2"]

#: Image files that a folder sequence consists of (as OpenFace's ``-fdir``).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")


def require_cv2() -> Any:
    """Import OpenCV or raise an ImportError saying how to install it."""
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading and writing images and videos needs OpenCV: pip install 'pyfacelm[video]' "
            "(or opencv-python-headless)"
        ) from e
    return cv2


@dataclass
class VideoSource:
    """An opened video file or image folder."""

    path: Path
    is_sequence: bool
    fps: float
    frame_count: int | None
    _files: list[Path] | None = None
    _capture: Any = None

    def __iter__(self) -> Iterator[np.ndarray]:
        cv2 = require_cv2()
        if self.is_sequence:
            for f in self._files or []:
                img = cv2.imread(str(f), cv2.IMREAD_COLOR)
                if img is None:
                    raise OSError(f"cannot read image {f}")
                yield img
            return
        cap = self._capture
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                yield frame
        finally:
            cap.release()

    def timestamp(self, index: int) -> float:
        """Seconds of frame `index` (0-based): index / fps for videos, 0 for image folders."""
        return 0.0 if self.is_sequence or self.fps <= 0 else index / self.fps


def open_video(path: str | os.PathLike[str]) -> VideoSource:
    """Open a video file, or a folder of images (name-sorted .jpg/.jpeg/.png/.bmp) as a sequence.

    Raises:
        FileNotFoundError: the path does not exist.
        OSError: the file cannot be decoded, or the folder holds no images.
    """
    cv2 = require_cv2()
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file or folder: {p}")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
        if not files:
            raise OSError(f"folder {p} contains no images ({', '.join(IMAGE_EXTENSIONS)})")
        return VideoSource(p, True, 0.0, len(files), _files=files)
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        raise OSError(f"cannot decode video {p}")
    ok, _ = cap.read()
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) or None
    cap.release()
    if not ok:
        raise OSError(f"cannot decode video {p}: no readable frame")
    # Re-open rather than seek: seeking is not frame-exact for every codec.
    return VideoSource(p, False, fps, count, _capture=cv2.VideoCapture(str(p)))


def iter_video(path: str | os.PathLike[str]) -> Iterator[np.ndarray]:
    """Yield the BGR uint8 frames of a video file or image folder, in order.

    >>> for frame in iter_video("video.mp4"):   # doctest: +SKIP
    ...     faces = tracker.update(frame)
    """
    yield from open_video(path)
