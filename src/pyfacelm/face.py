"""The result of fitting one face."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Face"]


def _frozen(a: Any, dtype: Any) -> np.ndarray:
    arr = np.array(a, dtype=dtype)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, repr=False, eq=False)
class Face:
    """One fitted face, as OpenFace reports it.

    Attributes:
        landmarks: (68, 2) float32, image pixels (0-based, pixel centres at integers).
        landmarks_3d: (68, 3) float32, camera frame in millimetres.
        eye_landmarks: (56, 2) float32 (28 points of the image-left eye, then 28 of the
            image-right eye), or None when the model has no eye models.
        params_global: (6,) float64 ``[scale, rx, ry, rz, tx, ty]`` of the shape model
            (weak-perspective scale, Euler angles in radians, image translation).
        params_local: (n_modes,) float64 non-rigid shape parameters.
        pose: (6,) float64 head pose ``[Tx, Ty, Tz, Rx, Ry, Rz]`` (mm, radians) in the camera frame.
        confidence: the validator's certainty in [0, 1] (quantised; OpenFace's ``confidence``).
        success: whether the fit is trusted (OpenFace's ``success``: confidence > 0.725).
        model_likelihood: the fit's likelihood under the patch experts (higher is better).
        box: (4,) float64 ``(x, y, w, h)`` the fit started from.
        view: index of the patch-expert view (head orientation bucket) used.
        face_id: identifier of a tracked face (video), None for single images.
    """

    landmarks: npt.NDArray[np.float32]
    landmarks_3d: npt.NDArray[np.float32]
    eye_landmarks: npt.NDArray[np.float32] | None
    params_global: npt.NDArray[np.float64]
    params_local: npt.NDArray[np.float64]
    pose: npt.NDArray[np.float64]
    confidence: float
    success: bool
    model_likelihood: float
    box: npt.NDArray[np.float64]
    view: int
    face_id: int | None = field(default=None)

    @classmethod
    def _from_core(cls, d: dict[str, Any], face_id: int | None = None) -> Face:
        eyes = d.get("eye_landmarks")
        return cls(
            landmarks=_frozen(d["landmarks"], np.float32),
            landmarks_3d=_frozen(d["landmarks_3d"], np.float32),
            eye_landmarks=None if eyes is None else _frozen(eyes, np.float32),
            params_global=_frozen(d["params_global"], np.float64),
            params_local=_frozen(d["params_local"], np.float64),
            pose=_frozen(d["pose"], np.float64),
            confidence=float(d["confidence"]),
            success=bool(d["success"]),
            model_likelihood=float(d["model_likelihood"]),
            box=_frozen(d["box"], np.float64),
            view=int(d["view"]),
            face_id=face_id,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickling: arrays come back read-only, as a fitted Face's are.
        for name, v in state.items():
            object.__setattr__(self, name, _frozen(v, v.dtype) if isinstance(v, np.ndarray) else v)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python types (lists, floats), e.g. for JSON."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            out[name] = v.tolist() if isinstance(v, np.ndarray) else v
        return out

    def __repr__(self) -> str:
        x, y, w, h = (float(v) for v in self.box)
        tx, ty, tz, rx, ry, rz = (float(v) for v in self.pose)
        fid = "" if self.face_id is None else f"face_id={self.face_id}, "
        return (
            f"Face({fid}success={self.success}, confidence={self.confidence:.3f}, "
            f"box=({x:.1f}, {y:.1f}, {w:.1f}, {h:.1f}), view={self.view}, "
            f"pose=(T=[{tx:.1f}, {ty:.1f}, {tz:.1f}] mm, R=[{rx:.3f}, {ry:.3f}, {rz:.3f}] rad), "
            f"landmarks={self.landmarks.shape[0]}x2)"
        )
