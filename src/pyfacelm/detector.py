"""CLNFDetector: OpenFace's landmark detector on numpy images."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from . import _clnf
from .errors import ModelNotFoundError
from .face import Face
from .models import find_model_dir, model_sets
from .tracking import Tracker

__all__ = ["CLNFDetector", "MODELS", "cached_detector"]

#: Model names and the main file each loads.
MODELS: dict[str, str] = {
    "clnf": "main_clnf_general.txt",
    "clnf_wild": "main_clnf_wild.txt",
    "clm": "main_clm_general.txt",
    "clm_wild": "main_clm_wild.txt",
    "ceclm": "main_ceclm_general.txt",
}

Color = Literal["bgr", "rgb"]


class CLNFDetector:
    """OpenFace's facial landmark detector (CLNF, CLM or CE-CLM), loaded once.

    Args:
        model: ``"clnf"`` (default; CCNF patch experts, OpenFace's ``main_clnf_general.txt``),
            ``"clnf_wild"``, ``"clm"`` (SVR experts), ``"clm_wild"``, ``"ceclm"`` (CEN experts;
            needs OpenFace's four separately distributed ``cen_patches_*_of.dat`` files), or the
            path of any OpenFace ``main_*.txt`` file.
        model_dir: folder of OpenFace's model files; default: see :func:`pyfacelm.find_model_dir`.

    Raises:
        ModelNotFoundError: the model folder or some of the model's files are missing (the
            message names them).
        ModelFormatError: a model file is corrupt.

    Thread safety: a loaded detector is immutable. :meth:`fit` keeps all its working memory per
    call and releases the GIL while it computes, so one detector can be shared by many threads
    fitting at the same time; results do not depend on concurrency.
    """

    def __init__(
        self, model: str = "clnf", model_dir: str | os.PathLike[str] | None = None
    ) -> None:
        if model in MODELS:
            root = find_model_dir(model_dir)
            missing = [p for p in model_sets()[model] if not (root / p).is_file()]
            if missing:
                raise ModelNotFoundError(
                    f"model {model!r} is incomplete in {root}: missing "
                    + ", ".join(missing)
                    + (
                        " (OpenFace distributes the CEN files separately from its repository)"
                        if any("cen_patches" in m for m in missing)
                        else ""
                    )
                )
            main_file = root / MODELS[model]
            self._name = model
            spec = model
        else:
            main_file = Path(model).expanduser()
            if not main_file.is_file():
                raise ModelNotFoundError(
                    f"unknown model {model!r}: expected one of {', '.join(MODELS)} "
                    "or the path of an OpenFace main_*.txt file"
                )
            root = main_file.resolve().parent
            self._name = main_file.stem
            spec = str(main_file.resolve())
        self._model_dir = Path(root).resolve()
        # What pickling sends: the model as named, and model_dir only if the caller gave one, so
        # that a worker on another machine finds its own copy of the models the usual way.
        self._args = (spec, None if model_dir is None else os.fspath(model_dir))
        self._core = _clnf.CLNFModel(str(main_file))
        self._mtcnn: _clnf.MTCNN | None = None
        self._mtcnn_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The model loaded: one of MODELS' names, or the main file's stem for a path."""
        return self._name

    @property
    def model_dir(self) -> Path:
        """The folder the model files were read from."""
        return self._model_dir

    @property
    def n_landmarks(self) -> int:
        return int(self._core.n_points)

    @property
    def n_modes(self) -> int:
        """Number of non-rigid shape parameters (``params_local``; OpenFace's ``p_*`` columns)."""
        return int(self._core.n_modes)

    def fit(
        self,
        image: np.ndarray,
        box: Sequence[float],
        *,
        color: Color = "bgr",
        intrinsics: Sequence[float] | None = None,
        multi_view: bool = False,
    ) -> Face:
        """Fit the landmarks of the face in ``box`` as OpenFace's ``DetectLandmarksInImage``.

        Args:
            image: uint8 (H, W) gray or (H, W, 3) colour array (any strides; not copied).
            box: ``(x, y, w, h)`` in pixels: the tight box of the 68 landmarks (brows to chin),
                used as given (MTCNN boxes need OpenFace's correction, which ``detect`` applies).
            color: channel order of a colour image, ``"bgr"`` (OpenCV) or ``"rgb"``.
            intrinsics: ``(fx, fy, cx, cy)`` for pose and 3D landmarks; default OpenFace's guess
                from the image size.
            multi_view: try OpenFace's 11 rotation hypotheses and keep the best (slower; OpenFace
                enables it with ``-multi_view 1`` or ``-wild``).

        Returns:
            A :class:`Face`. A fit that ran but is not trusted has ``success=False``.

        Raises:
            TypeError, ValueError: bad image (dtype, shape, empty), box (NaN/inf, non-positive
                size, entirely outside the image) or intrinsics.
        """
        d = self._core.fit(image, box, color=color, intrinsics=intrinsics, multi_view=multi_view)
        return Face._from_core(d)

    def _face_detector(self) -> _clnf.MTCNN:
        # Loaded on first use (once, under a lock): fitting from boxes does not need it.
        with self._mtcnn_lock:
            if self._mtcnn is None:
                path = self._model_dir / "mtcnn_detector" / "MTCNN_detector.txt"
                if not path.is_file():
                    raise ModelNotFoundError(
                        f"face detection needs OpenFace's MTCNN files, not found: {path} "
                        "(and PNet.dat, RNet.dat, ONet.dat beside it)"
                    )
                self._mtcnn = _clnf.MTCNN(str(path))
            return self._mtcnn

    def detect_faces(
        self, image: np.ndarray, *, color: Color = "bgr", min_face: float = 60
    ) -> np.ndarray:
        """Find faces with OpenFace's MTCNN detector.

        Args:
            image: uint8 (H, W) gray or (H, W, 3) colour array.
            color: channel order of a colour image, ``"bgr"`` or ``"rgb"``.
            min_face: smallest face width to look for, in pixels (OpenFace: 60).

        Returns:
            (N, 5) float64 rows ``(x, y, w, h, score)``: the boxes exactly as OpenFace hands them
            to the landmark fitter (after its MTCNN-to-landmark-box correction), in OpenFace's
            order (descending score). No face: shape (0, 5). Images smaller than ``min_face``
            have no faces.
        """
        return self._face_detector().detect(image, color=color, min_face=min_face)

    def detect(
        self,
        image: np.ndarray,
        *,
        color: Color = "bgr",
        min_face: float = 60,
        intrinsics: Sequence[float] | None = None,
        multi_view: bool = False,
    ) -> list[Face]:
        """Detect every face and fit its landmarks (OpenFace's FaceLandmarkImg pipeline).

        Returns one :class:`Face` per detected face, in detection order; ``[]`` if none.
        Arguments as in :meth:`detect_faces` and :meth:`fit`.
        """
        boxes = self.detect_faces(image, color=color, min_face=min_face)
        return [
            self.fit(image, b[:4], color=color, intrinsics=intrinsics, multi_view=multi_view)
            for b in boxes
        ]

    def tracker(self, max_faces: int | None = 1) -> Tracker:
        """A :class:`Tracker` for one video stream (``max_faces=None``: no limit)."""
        return Tracker(self, max_faces)

    def __reduce__(self) -> tuple[Any, tuple[str, str | None]]:
        # A detector pickles as its model name/path (and model_dir); unpickling loads it, once per
        # process, so executors can ship detectors to worker processes cheaply.
        return (cached_detector, self._args)

    def __repr__(self) -> str:
        return f"CLNFDetector(model={self._name!r}, model_dir='{self._model_dir}')"


_cache: dict[tuple[str, str | None], CLNFDetector] = {}
_cache_lock = threading.Lock()


def cached_detector(
    model: str = "clnf", model_dir: str | os.PathLike[str] | None = None
) -> CLNFDetector:
    """The process's shared :class:`CLNFDetector` for ``(model, model_dir)``, loaded on first use.

    Worker processes (batch processing, unpickled detectors) call this so that each loads a
    model once however many inputs it processes. Arguments as for :class:`CLNFDetector`.
    """
    key = (model, None if model_dir is None else os.fspath(model_dir))
    with _cache_lock:
        det = _cache.get(key)
        if det is None:
            det = _cache[key] = CLNFDetector(model, model_dir)
        return det
