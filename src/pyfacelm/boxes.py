"""Face boxes: converting a detector's box into the box the landmark fit starts from.

OpenFace initialises its landmark fit from the tight box of the 68 landmarks (brows to chin,
ear to ear along the jaw). Face detectors draw their boxes differently, so a box is converted
before the fit according to its ``box_kind``:

``"landmarks"``
    Already such a box (OpenFace's convention; what :meth:`CLNFDetector.detect_faces` returns).
    Used as given.
``"mtcnn"``
    A raw MTCNN box (as MTCNN implementations other than OpenFace's return it). OpenFace's own
    correction is applied: ``x += -0.0075 w``, ``y += 0.2459 h``, ``w *= 1.0323``, ``h *= 0.7751``.
``"detector"``
    The box of a generic face detector (dlib, RetinaFace, MediaPipe, OpenCV's YuNet, ...):
    roughly square, around the face from the forehead or brows to the chin. Converted with a
    linear mapping of the same form, calibrated on OpenFace's sample faces by
    ``tools/calibrate_box_kind.py`` (the tool's docstring says how; the coefficients below are
    what it printed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["BOX_KINDS", "BoxKind", "box_iou", "landmark_box", "to_landmark_box"]

BoxKind = Literal["landmarks", "mtcnn", "detector"]

#: ``(dx, dy, sw, sh)`` per box kind: the landmark box is
#: ``(x + dx*w, y + dy*h, sw*w, sh*h)`` of the given ``(x, y, w, h)``.
BOX_KINDS: dict[str, tuple[float, float, float, float]] = {
    "landmarks": (0.0, 0.0, 1.0, 1.0),
    # OpenFace's MTCNN-to-landmark-box correction (its FaceDetectorMTCNN).
    "mtcnn": (-0.0075, 0.2459, 1.0323, 0.7751),
    # Least squares over OpenFace's sample faces, see tools/calibrate_box_kind.py.
    "detector": (0.0291, 0.1709, 0.9258, 0.8738),
}


def to_landmark_box(box: Sequence[float] | npt.ArrayLike, kind: str) -> npt.NDArray[np.float64]:
    """Convert a ``(x, y, w, h)`` box of the given kind into the landmark box a fit starts from.

    Raises:
        ValueError: unknown ``kind``, or ``box`` is not 4 numbers.
        TypeError: ``box`` is not numeric.
    """
    try:
        dx, dy, sw, sh = BOX_KINDS[kind]
    except (KeyError, TypeError):
        raise ValueError(
            f"box_kind must be one of {', '.join(map(repr, BOX_KINDS))}, got {kind!r}"
        ) from None
    try:
        b = np.asarray(box, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("box (x, y, w, h) must be a sequence of numbers") from None
    if b.shape != (4,):
        raise ValueError(f"box (x, y, w, h) must have 4 values, got shape {b.shape}")
    x, y, w, h = (float(v) for v in b)
    return np.array([x + dx * w, y + dy * h, sw * w, sh * h])


def landmark_box(landmarks: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The tight ``(x, y, w, h)`` box of (N, 2) landmarks."""
    pts = np.asarray(landmarks, dtype=np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])


def box_iou(a: Sequence[float] | npt.ArrayLike, b: Sequence[float] | npt.ArrayLike) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes (0 when either is empty)."""
    ax, ay, aw, ah = (float(v) for v in np.asarray(a, dtype=np.float64))
    bx, by, bw, bh = (float(v) for v in np.asarray(b, dtype=np.float64))
    iw = min(ax + aw, bx + bw) - max(ax, bx)
    ih = min(ay + ah, by + bh) - max(ay, by)
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0
