"""Video tracking: one Tracker per stream, sharing a detector's loaded models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import _clnf
from .boxes import box_iou
from .face import Face, with_face_id

if TYPE_CHECKING:
    from .detector import CLNFDetector
    from .parameters import FitParameters

__all__ = ["REID_MAX_SIZE_RATIO", "REID_MIN_IOU", "REID_REACH", "REID_REACH_PER_SECOND", "Tracker"]


#: A lost face re-found at a box overlapping its last box at least this much keeps its id.
REID_MIN_IOU = 0.3
#: ... or re-found with its centre within this many face widths of its last box's centre, plus
#: REID_REACH_PER_SECOND widths per second it was lost (people keep moving while the tracker has
#: lost them: on multi_face.avi they are re-found 1-3 widths away a quarter of a second later).
REID_REACH = 3.0
REID_REACH_PER_SECOND = 1.5
#: ... and with a width within this factor of its last width (not a nearer or farther face).
REID_MAX_SIZE_RATIO = 1.5


@dataclass
class _LostFace:
    face_id: int
    box: np.ndarray  # its last landmark box (of the last successful frame, if any)
    lost_at: int  # index of the first frame it was missing from


def _reid_distance(new: np.ndarray, lost: np.ndarray, seconds_lost: float) -> float | None:
    """How far (in face widths) a new face's box is from a lost face's last box, or None when it
    is too far, or of too different a size, to be that face re-found (class docstring)."""
    width = max(float(new[2]), float(lost[2]))
    if width <= 0:
        return None
    dx = (new[0] + new[2] / 2) - (lost[0] + lost[2] / 2)
    dy = (new[1] + new[3] / 2) - (lost[1] + lost[3] / 2)
    distance = float(np.hypot(dx, dy)) / width
    if box_iou(new, lost) >= REID_MIN_IOU:
        return distance
    ratio = float(new[2]) / float(lost[2]) if lost[2] > 0 else np.inf
    if not 1 / REID_MAX_SIZE_RATIO <= ratio <= REID_MAX_SIZE_RATIO:
        return None
    if distance > REID_REACH + REID_REACH_PER_SECOND * seconds_lost:
        return None
    return distance


class Tracker:
    """Tracks faces across the frames of one video stream, as OpenFace's video mode does.

    Create it with :meth:`CLNFDetector.tracker`. With ``max_faces=1`` it is OpenFace's single-face
    tracker (FeatureExtraction / FaceLandmarkVid: the previous frame initialises the next, small
    search windows after a successful frame, MTCNN re-detection every second failed frame with
    the 11 rotation hypotheses). With ``max_faces > 1`` or ``None`` (no limit) it is OpenFace's
    multi-face driver (FaceLandmarkVidMulti) without its cap of 4 faces: MTCNN looks for new faces
    every 8th frame and a face lost for more than 4 frames is dropped. Unlike OpenFace, a face
    whose fit failed in the previous frame restarts from a detection overlapping it (keeping its
    id) instead of that detection being ignored.

    Face ids (``Face.face_id``): a tracked face keeps its id while it is tracked. With several
    faces, a face that is lost and found again by the detector gets its old id back when it is
    re-found within ``keep_id_seconds`` (default 2 s, i.e. ``keep_id_seconds * fps`` frames,
    ``fps`` defaulting to 30 when the stream's rate is unknown) of the last frame it was tracked
    in, near its last successfully fitted landmark box: overlapping it by IoU >= 0.3, or, for a
    face of about the same width (within a factor 1.5), with its centre within 3 face widths of
    the last box's centre plus 1.5 widths per second it was lost (people keep moving while
    the tracker has lost them). When several re-found faces compete for lost ids, the nearest
    pairs (centre distance in face widths) are matched first, and an id still in use is never
    handed out twice. Otherwise a new face gets a new id (ids count up from 0). With
    ``max_faces=1`` the one face always has id 0. Ids follow places, not persons: a different
    person appearing where a face was lost within the last seconds takes over its id, and a
    face that reappears farther away (or later) gets a new one.

    Frames must keep one size; call :meth:`reset` to start a new stream. A tracker processes
    its frames one after another; different trackers may run in different threads at once.
    """

    def __init__(
        self,
        detector: CLNFDetector,
        max_faces: int | None = 1,
        *,
        params: FitParameters | None = None,
        fps: float | None = None,
        keep_id_seconds: float = 2.0,
    ) -> None:
        if max_faces is not None and (
            isinstance(max_faces, bool) or not isinstance(max_faces, int) or max_faces < 1
        ):
            raise ValueError(f"max_faces must be a positive integer or None, got {max_faces!r}")
        if fps is not None and not (isinstance(fps, (int, float)) and 0 < fps < 1e6):
            raise ValueError(f"fps must be a positive number of frames per second, got {fps!r}")
        if not (isinstance(keep_id_seconds, (int, float)) and 0 <= keep_id_seconds < 1e6):
            raise ValueError(f"keep_id_seconds must be a number >= 0, got {keep_id_seconds!r}")
        self._detector = detector
        self._max_faces = max_faces
        self._params = detector.params if params is None else params
        self._fps = float(fps) if fps is not None else None
        self._keep_id_seconds = float(keep_id_seconds)
        self._core = _clnf.Tracker(
            detector.native_model,
            detector.face_detector,
            0 if max_faces is None else max_faces,
            params=self._params,
        )
        self._last_event: dict[str, Any] = {}
        self._init_ids()

    def _init_ids(self) -> None:
        # Core ids (one per detection that started a track) -> the ids users see.
        self._ids: dict[int, int] = {}
        self._last_box: dict[int, np.ndarray] = {}  # by core id
        self._lost: list[_LostFace] = []
        self._next_id = 0
        self._frame = 0

    @property
    def max_faces(self) -> int | None:
        return self._max_faces

    @property
    def params(self) -> FitParameters:
        """The parameters this tracker fits with."""
        return self._params

    @property
    def fps(self) -> float | None:
        """The stream's frame rate given to the tracker (None: unknown, 30 assumed)."""
        return self._fps

    @property
    def keep_id_frames(self) -> int:
        """How many frames after its last tracked frame a lost face may be re-found and keep
        its id (``keep_id_seconds * fps``, rounded)."""
        return round(self._keep_id_seconds * (self._fps if self._fps is not None else 30.0))

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
        color: Literal["bgr", "rgb"] | None = None,
        intrinsics: Sequence[float] | None = None,
    ) -> list[Face]:
        """Track the faces in the next frame.

        Args:
            frame: uint8 (H, W) gray or (H, W, 3) colour array (not copied).
            color: channel order of a colour frame; default the detector's ``color``.
            intrinsics: ``(fx, fy, cx, cy)``; default OpenFace's guess from the frame size.

        Returns:
            The faces tracked in this frame (``[]`` before the first detection). A face whose
            fit failed this frame is still returned, with ``success=False``, while it is tracked.
            ``box`` is the box this frame's fit started from, ``landmark_box`` the tight box of
            its result, ``detection_score`` the score of the detection that (re)started it.

        Raises:
            ValueError: the frame size differs from the stream's first frame, or bad input.
        """
        c = self._detector.color if color is None else color
        faces, event = self._core.update(frame, color=c, intrinsics=intrinsics)
        self._last_event = event
        out = [Face.from_native(r) for r in faces]
        if self._max_faces != 1:
            out = self._assign_ids(out)
        self._frame += 1
        return out

    def _assign_ids(self, faces: list[Face]) -> list[Face]:
        """Map the core's per-track ids to ids that survive a short loss (class docstring)."""
        seen = {f.face_id for f in faces}
        for core_id in [k for k in self._ids if k not in seen]:
            self._lost.append(
                _LostFace(self._ids.pop(core_id), self._last_box.pop(core_id), self._frame)
            )
        horizon = self._frame - self.keep_id_frames
        self._lost = [lf for lf in self._lost if lf.lost_at - 1 >= horizon]
        new = [f for f in faces if f.face_id not in self._ids]
        fps = self._fps if self._fps is not None else 30.0
        pairs = []
        for i, f in enumerate(new):
            for j, lf in enumerate(self._lost):
                # Frames since its last tracked frame, as in the keep_id_frames horizon.
                d = _reid_distance(f.landmark_box, lf.box, (self._frame - lf.lost_at + 1) / fps)
                if d is not None:
                    pairs.append((d, i, j))
        pairs.sort()
        taken_new: set[int] = set()
        taken_lost: set[int] = set()
        for _, i, j in pairs:
            if i in taken_new or j in taken_lost:
                continue
            taken_new.add(i)
            taken_lost.add(j)
            self._ids[int(new[i].face_id or 0)] = self._lost[j].face_id
        self._lost = [lf for j, lf in enumerate(self._lost) if j not in taken_lost]
        for i, f in enumerate(new):
            if i not in taken_new:
                self._ids[int(f.face_id or 0)] = self._next_id
                self._next_id += 1
        out = []
        for f in faces:
            core_id = int(f.face_id or 0)
            if f.success or core_id not in self._last_box:
                self._last_box[core_id] = f.landmark_box
            out.append(with_face_id(f, self._ids[core_id]))
        return out

    def reset(self) -> None:
        """Forget all faces: the next frame starts a new stream."""
        self._core.reset()
        self._last_event = {}
        self._init_ids()

    def __repr__(self) -> str:
        return f"Tracker(max_faces={self._max_faces!r}, model={self._detector.model_name!r})"
