"""Drawing fitted faces onto images (needs the ``video`` extra: OpenCV)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .face import Face
from .video import require_cv2

__all__ = ["default_intrinsics", "draw_faces"]


def default_intrinsics(width: int, height: int) -> tuple[float, float, float, float]:
    """OpenFace's camera guess from the image size (SPEC §11.1): (fx, fy, cx, cy)."""
    f = (500.0 * width / 640.0 + 500.0 * height / 480.0) / 2.0
    return f, f, width / 2.0, height / 2.0


def _rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    out: np.ndarray = Rx @ Ry @ Rz
    return out


def _gaze_rays(
    face: Face, intrinsics: Sequence[float], length_mm: float = 50.0
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """OpenFace's gaze drawing: per eye, from the pupil (mean of the 8 iris points in 3D) to
    `length_mm` along the gaze vector, both projected; none when gaze was not computed."""
    if face.gaze_0 is None or face.gaze_1 is None or face.eye_landmarks_3d is None:
        return []
    if not (face.gaze_0.any() or face.gaze_1.any()):
        return []
    fx, fy, cx, cy = intrinsics
    e3 = np.asarray(face.eye_landmarks_3d, dtype=float)
    n = e3.shape[0] // 2
    rays = []
    for k, g in enumerate((face.gaze_0, face.gaze_1)):
        pupil = e3[k * n : k * n + 8].mean(axis=0)
        end = pupil + np.asarray(g, dtype=float) * length_mm
        if pupil[2] <= 1e-6 or end[2] <= 1e-6:
            continue
        a = (round(fx * pupil[0] / pupil[2] + cx), round(fy * pupil[1] / pupil[2] + cy))
        b = (round(fx * end[0] / end[2] + cx), round(fy * end[1] / end[2] + cy))
        rays.append((a, b))
    return rays


def draw_faces(
    image: np.ndarray,
    faces: Iterable[Face],
    intrinsics: Sequence[float] | None = None,
    *,
    axis_mm: float = 70.0,
) -> np.ndarray:
    """A BGR copy of `image` with each face's box, landmarks, eye landmarks, a pose axis
    (x red, y green, z blue; `axis_mm` long) and, where gaze was computed, OpenFace's gaze rays
    (one line per eye from the pupil, 50 mm along the gaze, projected with `intrinsics`).
    Successful fits are drawn in green, others in red."""
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
        for a, b in _gaze_rays(face, (fx, fy, cx, cy)):
            cv2.line(out, a, b, (110, 220, 0), thick + 1, cv2.LINE_AA)
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
