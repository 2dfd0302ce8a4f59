"""Reading frames from video files, image folders, cameras and streams (needs the ``video``
extra: OpenCV).

pyfacelm's core only needs numpy; decoding uses opencv-python-headless, which is what
OpenFace-style users already have, decodes the formats OpenFace's samples use (AVI/DivX, WMV2,
MP4, image sequences) through its bundled FFmpeg, gives BGR frames bit-identical to OpenFace's
own OpenCV decoding on the samples, and has wheels for every platform pyfacelm supports.

OpenCV and FFmpeg print their own diagnostics (``[ WARN:0@0.02] ...``, ``[mov,mp4,... @ 0x...]
moov atom not found``) on stderr. The helpers here silence them while they call OpenCV and raise
a Python exception that says what went wrong instead. FFmpeg's messages can only be silenced
before OpenCV first uses FFmpeg, through the ``OPENCV_FFMPEG_LOGLEVEL`` environment variable:
pyfacelm sets it to quiet unless it is already set.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "IMAGE_EXTENSIONS",
    "FrameSizeError",
    "VideoSource",
    "iter_video",
    "open_video",
    "read_image",
    "require_cv2",
    "silenced_opencv",
]

#: Image files that a folder consists of (as OpenFace's ``-fdir``).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")

_FFMPEG_QUIET = "-8"  # AV_LOG_QUIET


class FrameSizeError(ValueError):
    """A video stream or image sequence changed its frame size."""


def require_cv2() -> Any:
    """Import OpenCV or raise an ImportError saying how to install it."""
    # Must be in the environment before OpenCV initialises FFmpeg (its first video call).
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", _FFMPEG_QUIET)
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading and writing images and videos needs OpenCV: pip install 'pyfacelm[video]' "
            "(or opencv-python-headless)"
        ) from e
    return cv2


_silence_lock = threading.Lock()
_silence_depth = 0
_saved_level: int | None = None


@contextmanager
def silenced_opencv() -> Iterator[Any]:
    """OpenCV with its log level set to silent for the duration (yields the cv2 module).

    OpenCV's log level is process-wide: nested and concurrent uses share one silent period and
    the caller's level is restored when the last one ends.
    """
    global _silence_depth, _saved_level
    cv2 = require_cv2()
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:  # an OpenCV without the log-level API: nothing to silence with
        yield cv2
        return
    with _silence_lock:
        if _silence_depth == 0:
            _saved_level = int(logging.getLogLevel())
            logging.setLogLevel(logging.LOG_LEVEL_SILENT)
        _silence_depth += 1
    try:
        yield cv2
    finally:
        with _silence_lock:
            _silence_depth -= 1
            if _silence_depth == 0 and _saved_level is not None:
                logging.setLogLevel(_saved_level)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as a BGR uint8 array (OpenCV's ``imread``, EXIF orientation applied).

    Raises:
        OSError: the file does not exist, is not readable, or is not an image OpenCV decodes
            (the message says which).
        MemoryError: decoding needs more memory than is available.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder, not an image")
    if not os.access(p, os.R_OK):
        raise PermissionError(f"cannot read {p}: permission denied")
    with silenced_opencv() as cv2:
        try:
            img = _imread_color(cv2, str(p))
        except cv2.error as e:  # OpenCV raises (rather than returns None) when it runs out
            if "Insufficient memory" in str(e):  # of memory or a codec rejects the data
                raise MemoryError(f"out of memory decoding {p}") from None
            raise OSError(f"cannot decode {p}: {str(e).strip().splitlines()[-1]}") from None
    if img is None or img.size == 0:
        raise OSError(f"cannot decode {p}: not an image format OpenCV reads, or corrupt")
    out: np.ndarray = img
    return out


def _imread_color(cv2: Any, path: str) -> np.ndarray | None:
    """``cv2.imread(path, IMREAD_COLOR)`` without holding the image twice.

    The one-argument form decodes into OpenCV's own buffer and then copies it into a numpy
    array, so a large photo briefly takes twice its size (30 MB more for a 4220x2373 photo,
    the peak memory of a whole folder run). The form with an output argument (OpenCV >= 4.11)
    decodes straight into the numpy array; older versions fall back to the copying form.
    """
    try:
        img: np.ndarray | None = cv2.imread(path, None, cv2.IMREAD_COLOR)
    except (TypeError, cv2.error) as e:
        if isinstance(e, cv2.error) and "Overload resolution failed" not in str(e):
            raise  # a decoding error, not a missing overload
        img = cv2.imread(path, cv2.IMREAD_COLOR)
    return img


def _camera_index(source: str | int | os.PathLike[str]) -> int | None:
    """The camera index `source` names: an int, or digits that are not an existing file."""
    if isinstance(source, bool):
        return None
    if isinstance(source, int):
        return source
    if isinstance(source, str) and source.isdigit() and not Path(source).exists():
        return int(source)
    return None


class VideoSource:
    """An opened frame source: a video file, an image folder, a camera or a stream URL.

    Iterating yields BGR uint8 frames of one size; a size change raises :class:`FrameSizeError`.
    A source can be iterated once.

    Attributes:
        name: what was opened, for messages (path, ``camera 0`` or the URL).
        kind: ``"file"``, ``"folder"``, ``"camera"`` or ``"url"``.
        path: the file or folder (None for cameras and URLs).
        is_sequence: True for an image folder.
        fps: frames per second reported by the source (0 for folders, or when unknown).
        frame_count: number of frames when known in advance, else None.
    """

    def __init__(
        self,
        name: str,
        kind: str,
        *,
        path: Path | None = None,
        fps: float = 0.0,
        frame_count: int | None = None,
        files: list[Path] | None = None,
        capture: Any = None,
        first: np.ndarray | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.path = path
        self.is_sequence = kind == "folder"
        self.fps = fps
        self.frame_count = frame_count
        self._files = files
        self._capture = capture
        self._first = first
        self._t0: float | None = None
        self._last_time = 0.0

    def _frames(self) -> Iterator[np.ndarray]:
        if self._files is not None:
            for f in self._files:
                yield read_image(f)
            return
        cap = self._capture
        try:
            if self._first is not None:
                first, self._first = self._first, None
                yield first
            while True:
                with silenced_opencv():
                    ok, frame = cap.read()
                if not ok:
                    break
                yield frame
        finally:
            cap.release()

    def __iter__(self) -> Iterator[np.ndarray]:
        shape: tuple[int, ...] | None = None
        first_name = ""
        for n, frame in enumerate(self._frames()):
            if self.kind == "camera":
                now = time.monotonic()
                self._t0 = now if self._t0 is None else self._t0
                self._last_time = now - self._t0
            if shape is None:
                shape = frame.shape[:2]
                first_name = str(self._files[0]) if self._files else "the first frame"
            elif frame.shape[:2] != shape:
                raise FrameSizeError(self._size_message(n, frame.shape[:2], shape, first_name))
            yield frame

    def _size_message(
        self, n: int, got: tuple[int, ...], want: tuple[int, ...], first_name: str
    ) -> str:
        size, first = f"{got[1]}x{got[0]}", f"{want[1]}x{want[0]}"
        if self._files is not None:
            return (
                f"folder {self.name} is not an image sequence: {self._files[n]} is {size} but "
                f"{first_name} is {first} (a sequence needs one size; a folder of unrelated "
                "photos is image mode: `pyfacelm image FOLDER` or CLNFDetector.detect per image)"
            )
        return f"{self.name}: frame {n + 1} is {size}, earlier frames were {first}"

    def timestamp(self, index: int) -> float:
        """Seconds of frame `index` (0-based): index / fps for files and streams, 0 for image
        folders, and for a camera the wall-clock time since its first frame (of the frame last
        read: call it for the frame just received)."""
        if self.kind == "camera":
            return self._last_time
        return 0.0 if self.is_sequence or self.fps <= 0 else index / self.fps

    def close(self) -> None:
        """Release the file, camera or stream (also done when iteration ends)."""
        if self._capture is not None:
            self._capture.release()

    def __repr__(self) -> str:
        return (
            f"VideoSource({self.name!r}, kind={self.kind!r}, fps={self.fps}, "
            f"frames={self.frame_count})"
        )


def _open_capture(target: str | int, name: str, kind: str, path: Path | None) -> VideoSource:
    cv2 = require_cv2()
    with silenced_opencv():
        cap = cv2.VideoCapture(target)
        opened = cap.isOpened()
        ok, first = cap.read() if opened else (False, None)
    if not opened:
        what = {"camera": "cannot open", "url": "cannot open stream"}.get(kind, "cannot decode")
        raise OSError(f"{what} {'video ' if kind == 'file' else ''}{name}")
    if not ok:
        cap.release()
        raise OSError(f"cannot decode video {name}: no readable frame")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    count_known = kind == "file" and count > 0
    # The frame already read is handed out first: no re-open or seek (seeking is not
    # frame-exact for every codec, and cameras and streams cannot be re-opened at the start).
    return VideoSource(
        name,
        kind,
        path=path,
        fps=max(fps, 0.0),
        frame_count=count if count_known else None,
        capture=cap,
        first=first,
    )


def open_video(source: str | int | os.PathLike[str]) -> VideoSource:
    """Open a frame source.

    ``source`` is a video file; a folder of images (name-sorted .jpg/.jpeg/.png/.bmp, one size:
    an image sequence); a camera index (``0`` or ``"0"``, when no file of that name exists;
    OpenFace's ``-device``); or a URL OpenCV's FFmpeg can open (``rtsp://``, ``http://``, ...).

    Raises:
        FileNotFoundError: the path does not exist.
        OSError: the file cannot be decoded, the camera or stream cannot be opened, or the
            folder holds no images.
    """
    index = _camera_index(source)
    if index is not None:
        return _open_capture(index, f"camera {index}", "camera", None)
    if isinstance(source, int):  # a bool
        raise TypeError(f"not a video source: {source!r}")
    if isinstance(source, str) and "://" in source:
        return _open_capture(source, source, "url", None)
    p = Path(source)
    if not p.exists():
        raise FileNotFoundError(f"no such file or folder: {p}")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
        if not files:
            raise OSError(f"folder {p} contains no images ({', '.join(IMAGE_EXTENSIONS)})")
        return VideoSource(str(p), "folder", path=p, frame_count=len(files), files=files)
    return _open_capture(str(p), str(p), "file", p)


def iter_video(path: str | int | os.PathLike[str]) -> Iterator[np.ndarray]:
    """Yield the BGR uint8 frames of a video file, image folder, camera or URL, in order
    (see :func:`open_video`).

    >>> for frame in iter_video("video.mp4"):   # doctest: +SKIP
    ...     faces = tracker.update(frame)
    """
    yield from open_video(path)
