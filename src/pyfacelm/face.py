"""The result of fitting one face."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _clnf

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
        detection_success: the model's own flag after the fit (OpenFace's
            ``detection_success``). It equals ``success`` except where OpenFace returns another
            hypothesis's verdict (CE-CLM multi-view when no hypothesis terminates early) or
            keeps a failed flag while tracking.
        model_likelihood: the fit's likelihood under the patch experts (higher is better).
        landmark_likelihoods: (n_landmarks,) float32, each landmark's likelihood at the last
            step of the main model (OpenFace's ``landmark_likelihoods``; -1e8 for landmarks
            hidden in the view used). ``model_likelihood`` is the mean of their logarithms.
        box: (4,) float64 ``(x, y, w, h)``: the box the fit started from, in OpenFace's
            landmark-box convention: the given box after its ``box_kind`` conversion
            (:meth:`CLNFDetector.fit`), the detection box (:meth:`CLNFDetector.detect`, and a
            tracker's frames that (re)detected the face), or the box of the previous frame's
            shape (a tracker's tracking steps).
        landmark_box: (4,) float64 ``(x, y, w, h)``: the tight box of the fitted ``landmarks``.
        view: index of the patch-expert view (head orientation bucket) used.
        face_id: identifier of a tracked face (video), None for single images.
        detection_score: the face detector's score (MTCNN's ONet probability) of the detection
            the fit started from (for a tracked face: the detection that last (re)started it);
            None when the box was given by the caller.
        eye_landmarks_3d: (56, 3) float32, the eye landmarks in the camera frame in millimetres
            (each eye model's own depth, as OpenFace's ``eye_lmk_X/Y/Z``), or None when the model
            has no eye models.
        gaze_0: (3,) float32 unit gaze vector of the image-left eye (the subject's right eye),
            camera frame, from the eyeball centre through the pupil; about ``(0, 0, -1)`` when
            looking into the camera. Zeros when ``success`` is False (OpenFace computes gaze only
            for successful fits); None when the model has no eye models.
        gaze_1: (3,) float32, the same for the image-right eye.
        gaze_angle: (2,) float32 ``(x, y)`` radians of the two eyes' mean gaze: ``atan2(x, -z)``
            (positive towards the image's right) and ``atan2(y, -z)`` (positive downwards); zeros
            / None as the gaze vectors.
    """

    landmarks: npt.NDArray[np.float32]
    landmarks_3d: npt.NDArray[np.float32]
    eye_landmarks: npt.NDArray[np.float32] | None
    params_global: npt.NDArray[np.float64]
    params_local: npt.NDArray[np.float64]
    pose: npt.NDArray[np.float64]
    confidence: float
    success: bool
    detection_success: bool
    model_likelihood: float
    landmark_likelihoods: npt.NDArray[np.float32]
    box: npt.NDArray[np.float64]
    landmark_box: npt.NDArray[np.float64]
    view: int
    face_id: int | None = field(default=None)
    eye_landmarks_3d: npt.NDArray[np.float32] | None = field(default=None)
    gaze_0: npt.NDArray[np.float32] | None = field(default=None)
    gaze_1: npt.NDArray[np.float32] | None = field(default=None)
    gaze_angle: npt.NDArray[np.float32] | None = field(default=None)
    detection_score: float | None = field(default=None)

    @classmethod
    def from_native(cls, r: _clnf.FaceResult, *, detection_score: float | None = None) -> Face:
        """A Face from the compiled core's result (new read-only arrays, not shared with it).
        ``detection_score`` is used when the result carries none (a box the caller's code
        took from a detection)."""
        # The core builds every field in one call, arrays already read-only and of the
        # documented dtypes; filling the instance dict directly skips the frozen dataclass's
        # per-field __setattr__. A tracked video pays this for every face of every frame.
        fields = r.face_fields()
        if fields["detection_score"] is None and detection_score is not None:
            fields["detection_score"] = float(detection_score)
        face = cls.__new__(cls)
        face.__dict__.update(fields)
        return face

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


def with_face_id(face: Face, face_id: int | None) -> Face:
    """``face`` with another ``face_id`` (arrays shared: they are read-only): what
    ``dataclasses.replace(face, face_id=face_id)`` gives, without re-running the frozen
    constructor - the multi-face tracker renumbers every face of every frame."""
    out = Face.__new__(Face)
    out.__dict__.update(face.__dict__)
    out.__dict__["face_id"] = face_id
    return out
