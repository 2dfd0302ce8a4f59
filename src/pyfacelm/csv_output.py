"""CSV output with OpenFace 2.2's column names, order and number formatting.

Fields are separated by ``,`` as OpenFace 2.2's code writes them (older OpenFace versions wrote
``", "``; ``sep=", "`` reproduces that for scripts written against them). The header is written
at once, so a run that finds no face still gives a valid, header-only CSV.

Written: ``frame, face_id, timestamp, confidence, success`` (sequences) or ``image, face,
confidence, success`` (images), then the eye landmarks ``eye_lmk_x_*``,
``eye_lmk_y_*``, the head pose ``pose_T*``, ``pose_R*``, the 2D landmarks ``x_*``, ``y_*``, the
3D landmarks ``X_*``, ``Y_*``, ``Z_*`` and the shape parameters ``p_scale ... p_ty, p_0 ...``.
Not written (pyfacelm does not compute them): gaze, 3D eye landmarks, action units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

import numpy as np

from .face import Face

__all__ = ["CsvWriter", "header"]


def header(n_landmarks: int, n_eye: int, n_modes: int, *, sequence: bool) -> list[str]:
    cols = (
        ["frame", "face_id", "timestamp", "confidence", "success"]
        if sequence
        else ["image", "face", "confidence", "success"]
    )
    cols += [f"eye_lmk_x_{i}" for i in range(n_eye)] + [f"eye_lmk_y_{i}" for i in range(n_eye)]
    cols += ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    cols += [f"x_{i}" for i in range(n_landmarks)] + [f"y_{i}" for i in range(n_landmarks)]
    cols += [f"{a}_{i}" for a in "XYZ" for i in range(n_landmarks)]
    cols += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [f"p_{i}" for i in range(n_modes)]
    return cols


def _fmt(values: Sequence[float] | np.ndarray, decimals: int) -> list[str]:
    return [f"{float(v):.{decimals}f}" for v in np.asarray(values).ravel()]


class CsvWriter:
    """Writes one row per face; the header is written with the first row."""

    def __init__(
        self,
        out: TextIO,
        *,
        sequence: bool,
        n_landmarks: int = 68,
        n_eye: int = 56,
        n_modes: int = 34,
        sep: str = ",",
    ):
        if sep not in (",", ", "):
            raise ValueError(f"sep must be ',' or ', ', got {sep!r}")
        self._out = out
        self._sequence = sequence
        self._sep = sep
        self._sizes = (n_landmarks, n_eye, n_modes)
        self._cols = header(n_landmarks, n_eye, n_modes, sequence=sequence)
        self._out.write(sep.join(self._cols) + "\n")

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    def _row(self, lead: list[str], face: Face | None) -> None:
        n, n_eye, m = self._sizes
        if face is None:
            body = ["0"] * (len(self._cols) - len(lead))
        else:
            eyes = face.eye_landmarks if face.eye_landmarks is not None else np.zeros((n_eye, 2))
            body = (
                _fmt(eyes[:, 0], 1)
                + _fmt(eyes[:, 1], 1)
                + _fmt(face.pose[:3], 1)
                + _fmt(face.pose[3:], 3)
                + _fmt(face.landmarks[:, 0], 1)
                + _fmt(face.landmarks[:, 1], 1)
                + _fmt(face.landmarks_3d.T, 1)
                + _fmt(face.params_global, 3)
                + _fmt(face.params_local, 3)
            )
        self._out.write(self._sep.join(lead + body) + "\n")

    def write_frame(
        self, frame: int, timestamp: float, face: Face | None, face_id: int = 0
    ) -> None:
        """A sequence row; `frame` is 1-based as in OpenFace; `face` None = nothing tracked."""
        conf = 0.0 if face is None else face.confidence
        success = 0 if face is None or not face.success else 1
        lead = [str(frame), str(face_id), f"{timestamp:.3f}", f"{conf:.2f}", str(success)]
        self._row(lead, face)

    def write_image_face(self, image: str, index: int, face: Face | None) -> None:
        """An image row (`image` is quoted if it holds a comma, quote or line break).

        ``face=None`` is the row of an image without a face: face 0, confidence 0, success 0 and
        zeros elsewhere, so that every image read has at least one row.
        """
        name = (
            image if not any(c in image for c in ',"\r\n') else '"' + image.replace('"', '""') + '"'
        )
        conf, ok = (0.0, False) if face is None else (face.confidence, face.success)
        lead = [name, str(index), f"{conf:.3f}", "1" if ok else "0"]
        self._row(lead, face)

    def flush(self) -> None:
        self._out.flush()
