"""Drawing fitted faces onto images, naming the drawings and writing annotated videos (needs
the ``video`` extra: OpenCV)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from .face import Face
from .video import require_cv2, silenced_opencv

__all__ = ["VIDEO_CODECS", "default_intrinsics", "draw_faces", "drawing_names", "open_video_writer"]

#: Codecs tried for annotated videos, in order: H.264 plays in browsers and every player, but
#: OpenCV's pip wheels usually ship without an H.264 encoder; MPEG-4 Part 2 always works.
VIDEO_CODECS = (("avc1", "H.264"), ("mp4v", "MPEG-4 Part 2 (mp4v)"))


def default_intrinsics(width: int, height: int) -> tuple[float, float, float, float]:
    """OpenFace's camera guess from the image size: focal length 500 px at 640x480, scaled with
    the image (the mean of the width and height scalings), principal point at the centre.
    Returns (fx, fy, cx, cy)."""
    f = (500.0 * width / 640.0 + 500.0 * height / 480.0) / 2.0
    return f, f, width / 2.0, height / 2.0


def _rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    out: np.ndarray = Rx @ Ry @ Rz
    return out


def draw_faces(
    image: np.ndarray,
    faces: Iterable[Face],
    intrinsics: Sequence[float] | None = None,
    *,
    axis_mm: float = 70.0,
) -> np.ndarray:
    """A BGR copy of `image` with each face's box, landmarks, eye landmarks and a pose axis
    (x red, y green, z blue; `axis_mm` long). Successful fits are drawn in green, others in red."""
    cv2 = require_cv2()
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = out.shape[:2]
    fx, fy, cx, cy = intrinsics if intrinsics is not None else default_intrinsics(w, h)
    thick = max(1, round(max(w, h) / 640))
    for face in faces:
        color = (0, 200, 0) if face.success else (0, 0, 230)
        lm = face.landmarks
        x0, y0 = lm.min(axis=0)
        x1, y1 = lm.max(axis=0)
        cv2.rectangle(out, (int(x0), int(y0)), (int(x1), int(y1)), color, thick)
        for x, y in lm:
            cv2.circle(out, (round(float(x)), round(float(y))), thick + 1, color, -1)
        if face.eye_landmarks is not None:
            for x, y in face.eye_landmarks:
                cv2.circle(out, (round(float(x)), round(float(y))), thick, (255, 200, 0), -1)
        t = np.asarray(face.pose[:3], dtype=float)
        if t[2] > 1e-6:
            R = _rotation(*face.pose[3:])
            pts = [t] + [t + R[:, k] * axis_mm for k in range(3)]
            uv = [(fx * p[0] / p[2] + cx, fy * p[1] / p[2] + cy) for p in pts if p[2] > 1e-6]
            if len(uv) == 4:
                o = (round(uv[0][0]), round(uv[0][1]))
                for k, c in enumerate([(0, 0, 255), (0, 255, 0), (255, 0, 0)]):
                    cv2.line(out, o, (round(uv[k + 1][0]), round(uv[k + 1][1])), c, thick + 1)
        label = (
            f"{face.confidence:.2f}"
            if face.face_id is None
            else f"#{face.face_id} {face.confidence:.2f}"
        )
        cv2.putText(
            out,
            label,
            (int(x0), max(12, int(y0) - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * thick,
            color,
            thick,
        )
    return out


def drawing_names(paths: Sequence[str], suffix: str = ".png") -> list[str]:
    """One distinct file name per input path, for drawings written into one folder.

    The name is the input's stem (``a/x.jpg`` -> ``x.png``) when no other input has that stem;
    otherwise its path below the inputs' common folder with ``/`` turned into ``_`` and its
    extension kept (``a/x.jpg``, ``b/x.jpg``, ``a/x.png`` -> ``a_x.jpg.png``, ``b_x.jpg.png``,
    ``a_x.png.png``); any name still taken gets ``-2``, ``-3``, ... (the same file given twice).
    """
    pure = [PurePath(os.path.abspath(p)) for p in paths]
    stems: dict[str, int] = {}
    for p in pure:
        stems[p.stem] = stems.get(p.stem, 0) + 1
    common = PurePath(os.path.commonpath([str(p.parent) for p in pure])) if pure else PurePath()
    names: list[str] = []
    taken: set[str] = set()
    for p in pure:
        if stems[p.stem] == 1:
            base = p.stem
        else:
            base = "_".join(p.relative_to(common).parts)
        name, k = base + suffix, 1
        while name.lower() in taken:  # case-insensitive file systems (Windows, macOS)
            k += 1
            name = f"{base}-{k}{suffix}"
        taken.add(name.lower())
        names.append(name)
    return names


def open_video_writer(
    path: str | os.PathLike[str], fps: float, size: tuple[int, int]
) -> tuple[Any, str]:
    """An opened ``cv2.VideoWriter`` for `path` (``size`` = (width, height)) and the name of the
    codec it uses: H.264 when the installed OpenCV can encode it, else MPEG-4 Part 2.

    Raises:
        OSError: the file cannot be written (missing folder, permissions, no usable encoder).
    """
    p = Path(path)
    if not p.parent.is_dir():
        raise OSError(f"cannot write {p}: folder {p.parent} does not exist")
    with silenced_opencv() as cv2:
        for fourcc, name in VIDEO_CODECS:
            writer = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*fourcc), fps, size)
            if writer.isOpened():
                return writer, name
            writer.release()
    raise OSError(f"cannot write video {p}: OpenCV could not open it with any of its encoders")
