"""Video tracking: one Tracker per stream, sharing a detector's loaded models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import _clnf
from .face import Face

if TYPE_CHECKING:
    from .detector import CLNFDetector
    from .parameters import FitParameters

__all__ = ["Tracker"]


class Tracker:
    """Tracks faces across the frames of one video stream, as OpenFace's video mode does.

    Create it with :meth:`CLNFDetector.tracker`. With ``max_faces=1`` it is OpenFace's single-face
    tracker (FeatureExtraction / FaceLandmarkVid: the previous frame initialises the next, small
    search windows after a successful frame, MTCNN re-detection every second failed frame with
    the 11 rotation hypotheses). With ``max_faces > 1`` or ``None`` (no limit) it is OpenFace's
    multi-face driver (FaceLandmarkVidMulti) without its cap of 4 faces: MTCNN looks for new faces
    every 8th frame and a face lost for more than 4 frames is dropped.

    Each tracked face keeps a ``face_id`` while it is tracked; a new face gets a new id.
    Frames must keep one size; call :meth:`reset` to start a new stream. A tracker processes
    its frames one after another; different trackers may run in different threads at once.
    """

    def __init__(
        self,
        detector: CLNFDetector,
        max_faces: int | None = 1,
        *,
        params: FitParameters | None = None,
    ) -> None:
        if max_faces is not None and (not isinstance(max_faces, int) or max_faces < 1):
            raise ValueError(f"max_faces must be a positive integer or None, got {max_faces!r}")
        self._detector = detector
        self._max_faces = max_faces
        self._params = detector.params if params is None else params
        self._core = _clnf.Tracker(
            detector.native_model,
            detector.face_detector,
            0 if max_faces is None else max_faces,
            params=self._params,
        )
        self._last_event: dict[str, Any] = {}

    @property
    def max_faces(self) -> int | None:
        return self._max_faces

    @property
    def params(self) -> FitParameters:
        """The parameters this tracker fits with."""
        return self._params

    @property
    def last_event(self) -> dict[str, Any]:
        """What the last update did: ``tracking_step``, ``redetect_attempted`` (the face
        detector ran), ``face_found``, ``restored_previous`` (a failed re-detection was undone),
        and ``core_seconds`` (time spent in the compiled core, without the GIL)."""
        return dict(self._last_event)

    def update(
        self,
        frame: np.ndarray,
        *,
        color: Literal["bgr", "rgb"] = "bgr",
        intrinsics: Sequence[float] | None = None,
    ) -> list[Face]:
        """Track the faces in the next frame.

        Args:
            frame: uint8 (H, W) gray or (H, W, 3) colour array (not copied).
            color: channel order of a colour frame.
            intrinsics: ``(fx, fy, cx, cy)``; default OpenFace's guess from the frame size.

        Returns:
            The faces tracked in this frame (``[]`` before the first detection). A face whose
            fit failed this frame is still returned, with ``success=False``, while it is tracked.

        Raises:
            ValueError: the frame size differs from the stream's first frame, or bad input.
        """
        faces, event = self._core.update(frame, color=color, intrinsics=intrinsics)
        self._last_event = event
        return [Face.from_native(r) for r in faces]

    def reset(self) -> None:
        """Forget all faces: the next frame starts a new stream."""
        self._core.reset()
        self._last_event = {}

    def __repr__(self) -> str:
        return f"Tracker(max_faces={self._max_faces!r}, model={self._detector.model_name!r})"
