"""CLNFDetector: OpenFace's landmark detector on numpy images."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from . import _clnf
from .boxes import BoxKind, to_landmark_box
from .errors import ModelNotFoundError
from .face import Face
from .models import find_model_dir, model_sets
from .parameters import FitParameters
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


def _check_color(color: object) -> Color:
    if color in ("bgr", "BGR"):
        return "bgr"
    if color in ("rgb", "RGB"):
        return "rgb"
    raise ValueError(f"color must be 'bgr' (OpenCV order) or 'rgb', got {color!r}")


def _looks_like_path(model: str | os.PathLike[str]) -> bool:
    """Whether a model argument that names no file was meant as a path (not as a model name)."""
    if not isinstance(model, str):
        return True
    return any(sep in model for sep in ("/", "\\", os.sep)) or Path(model).suffix != ""


class CLNFDetector:
    """OpenFace's facial landmark detector (CLNF, CLM or CE-CLM), loaded once.

    Args:
        model: ``"clnf"`` (default; CCNF patch experts, OpenFace's ``main_clnf_general.txt``),
            ``"clnf_wild"``, ``"clm"`` (SVR experts), ``"clm_wild"``, ``"ceclm"`` (CEN experts;
            needs OpenFace's four separately distributed ``cen_patches_*_of.dat`` files), or the
            path of any OpenFace ``main_*.txt`` file.
        model_dir: folder of OpenFace's model files; default: see :func:`pyfacelm.find_model_dir`.
        params: the :class:`FitParameters` of every fit, detection and tracker of this detector
            unless a call gives its own; default ``FitParameters.default(model)``, OpenFace's
            command-line defaults (also for the wild-trained ``clnf_wild`` / ``clm_wild``, as
            in OpenFace without ``-wild``). ``FitParameters.wild(model)`` is OpenFace's
            ``-wild``. Parameters given here have their search windows prepared at load.
        color: the channel order of colour images given to this detector and its trackers,
            ``"bgr"`` (OpenCV, the default) or ``"rgb"`` (PIL, imageio); a ``color=`` argument
            of a single call overrides it.

    Raises:
        ValueError: ``model`` is neither a known model name nor a path (a typo of a name), or
            ``color`` is not ``"bgr"``/``"rgb"``.
        ModelNotFoundError: the model folder, the main file given by path, or some of the
            model's files are missing (the message names them).
        ModelFormatError: a model file is corrupt.

    Thread safety: a loaded detector is immutable. :meth:`fit` keeps all its working memory per
    call and releases the GIL while it computes, so one detector can be shared by many threads
    fitting at the same time; results do not depend on concurrency.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] = "clnf",
        model_dir: str | os.PathLike[str] | None = None,
        *,
        params: FitParameters | None = None,
        color: Color = "bgr",
    ) -> None:
        if params is not None and not isinstance(params, FitParameters):
            raise TypeError(f"params must be a FitParameters, got {type(params).__name__}")
        self._color: Color = _check_color(color)
        if isinstance(model, str) and model in MODELS:
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
        elif not isinstance(model, (str, os.PathLike)):
            raise TypeError(f"model must be a model name or a path, got {type(model).__name__}")
        else:
            main_file = Path(model).expanduser()
            if not main_file.is_file():
                if not _looks_like_path(model):
                    # A bare word that is neither a known name nor a file: a typo of a name.
                    raise ValueError(
                        f"unknown model {str(model)!r}: expected one of {', '.join(MODELS)} "
                        "or the path of an OpenFace main_*.txt file"
                    )
                raise ModelNotFoundError(
                    f"model file not found: {str(main_file)!r} (expected one of "
                    f"{', '.join(MODELS)} or the path of an OpenFace main_*.txt file)"
                )
            root = main_file.resolve().parent
            self._name = main_file.stem
            spec = str(main_file.resolve())
        self._model_dir = Path(root).resolve()
        # What pickling sends: the model as named, model_dir only if the caller gave one (so that
        # a worker on another machine finds its own copy of the models the usual way), the
        # parameters given and the colour default.
        self._args = (spec, None if model_dir is None else os.fspath(model_dir), params, color)
        self._core = _clnf.CLNFModel(str(main_file), params=params)
        self._params = params if params is not None else FitParameters.default(main_file)
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
    def params(self) -> FitParameters:
        """The :class:`FitParameters` this detector fits with when a call gives none."""
        return self._params

    def _params_for(self, params: FitParameters | None) -> FitParameters:
        if params is None:
            return self._params
        if not isinstance(params, FitParameters):
            raise TypeError(f"params must be a FitParameters, got {type(params).__name__}")
        return params

    @property
    def n_landmarks(self) -> int:
        return int(self._core.n_points)

    @property
    def color(self) -> Color:
        """The default channel order of colour images (``color=`` of the constructor)."""
        return self._color

    def _color_of(self, color: Color | None) -> Color:
        return self._color if color is None else _check_color(color)

    def fit(
        self,
        image: np.ndarray,
        box: Sequence[float],
        *,
        box_kind: BoxKind = "landmarks",
        color: Color | None = None,
        intrinsics: Sequence[float] | None = None,
        params: FitParameters | None = None,
        multi_view: bool | None = None,
    ) -> Face:
        """Fit the landmarks of the face in ``box`` as OpenFace's ``DetectLandmarksInImage``.

        Args:
            image: uint8 (H, W) gray or (H, W, 3) colour array (any strides; not copied).
            box: ``(x, y, w, h)`` in pixels, of the kind ``box_kind`` says.
            box_kind: what ``box`` is (see :mod:`pyfacelm.boxes`): ``"landmarks"`` (default)
                the tight box of the 68 landmarks, brows to chin, as OpenFace's fitter expects
                and :meth:`detect_faces` returns; ``"mtcnn"`` a raw box of another MTCNN
                implementation (OpenFace's correction is applied); ``"detector"`` the box of a
                generic face detector (dlib, RetinaFace, MediaPipe, ...), converted with a
                mapping calibrated on OpenFace's sample faces.
            color: channel order of a colour image, ``"bgr"`` (OpenCV) or ``"rgb"``; default
                the detector's ``color``.
            intrinsics: ``(fx, fy, cx, cy)`` for pose and 3D landmarks; default OpenFace's guess
                from the image size.
            params: parameters of this fit; default the detector's (:attr:`params`).
            multi_view: shortcut that overrides ``params.multi_view`` for this call: ``True``
                tries OpenFace's 11 rotation hypotheses and keeps the best (slower; OpenFace's
                ``-multi_view 1``, part of ``-wild``); ``None`` keeps the parameters' value.

        Returns:
            A :class:`Face` whose ``box`` is the landmark box the fit started from (``box``
            converted according to ``box_kind``) and ``detection_score`` is None. A fit that ran
            but is not trusted has ``success=False``.

        Raises:
            TypeError, ValueError: bad image (dtype, shape, empty), box (NaN/inf, non-positive
                size, entirely outside the image), box_kind, intrinsics or params.
        """
        start = box if box_kind == "landmarks" else to_landmark_box(box, box_kind)
        c, p = self._color_of(color), self._params_for(params)
        return self._fit(image, start, None, c, intrinsics, p, multi_view)

    def _fit(
        self,
        image: np.ndarray,
        box: Sequence[float] | np.ndarray,
        score: float | None,
        color: Color,
        intrinsics: Sequence[float] | None,
        params: FitParameters,
        multi_view: bool | None,
    ) -> Face:
        r = self._core.fit(
            image, box, color=color, intrinsics=intrinsics, params=params, multi_view=multi_view
        )
        return Face.from_native(r, detection_score=score)

    @property
    def n_modes(self) -> int:
        """Number of non-rigid shape parameters (``params_local``) of the main model."""
        return int(self._core.n_modes)

    @property
    def native_model(self) -> _clnf.CLNFModel:
        """The compiled, immutable model this detector wraps (shared with its trackers)."""
        return self._core

    @property
    def face_detector(self) -> _clnf.MTCNN:
        """OpenFace's MTCNN face detector, loaded on first use (fitting from boxes does not
        need it).

        Raises:
            ModelNotFoundError: the MTCNN files are missing from the model folder.
        """
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
        self, image: np.ndarray, *, color: Color | None = None, min_face: float = 60
    ) -> np.ndarray:
        """Find faces with OpenFace's MTCNN detector.

        Args:
            image: uint8 (H, W) gray or (H, W, 3) colour array.
            color: channel order of a colour image, ``"bgr"`` or ``"rgb"``; default the
                detector's ``color``.
            min_face: smallest face width to look for, in pixels (OpenFace: 60).

        Returns:
            (N, 5) float64 rows ``(x, y, w, h, score)``: the boxes exactly as OpenFace hands them
            to the landmark fitter (after its MTCNN-to-landmark-box correction, i.e. of
            ``box_kind="landmarks"``), in OpenFace's order (descending score). No face: shape
            (0, 5). Images smaller than ``min_face`` have no faces.
        """
        return self.face_detector.detect(image, color=self._color_of(color), min_face=min_face)

    def detect(
        self,
        image: np.ndarray,
        *,
        color: Color | None = None,
        min_face: float = 60,
        intrinsics: Sequence[float] | None = None,
        params: FitParameters | None = None,
        multi_view: bool | None = None,
    ) -> list[Face]:
        """Detect every face and fit its landmarks (OpenFace's FaceLandmarkImg pipeline).

        Returns one :class:`Face` per detected face, in detection order; ``[]`` if none. Each
        face's ``box`` is the detection box the fit started from and ``detection_score`` the
        detector's score. Arguments as in :meth:`detect_faces` and :meth:`fit`.
        """
        c = self._color_of(color)
        p = self._params_for(params)
        boxes = self.detect_faces(image, color=c, min_face=min_face)
        return [self._fit(image, b[:4], float(b[4]), c, intrinsics, p, multi_view) for b in boxes]

    def tracker(
        self,
        max_faces: int | None = 1,
        *,
        params: FitParameters | None = None,
        fps: float | None = None,
    ) -> Tracker:
        """A :class:`Tracker` for one video stream (``max_faces=None``: no limit).

        ``params``: the fitting parameters (default the detector's; ``multi_view`` has no effect
        in video, where re-detections always try the 11 rotation hypotheses, as in OpenFace).
        ``fps`` (frames per second of the stream, when known) sets how many frames a lost face
        may stay away and keep its id (see :class:`Tracker`); default 30.
        """
        return Tracker(self, max_faces, params=self._params_for(params), fps=fps)

    def __reduce__(
        self,
    ) -> tuple[Any, tuple[str, str | None, FitParameters | None, Color]]:
        # A detector pickles as its model name/path (and model_dir); unpickling loads it, once per
        # process, so executors can ship detectors to worker processes cheaply.
        return (cached_detector, self._args)

    def __repr__(self) -> str:
        return f"CLNFDetector(model={self._name!r}, model_dir='{self._model_dir}')"


_cache: dict[tuple[str, str | None, FitParameters | None, str], CLNFDetector] = {}
_cache_lock = threading.Lock()


def cached_detector(
    model: str = "clnf",
    model_dir: str | os.PathLike[str] | None = None,
    params: FitParameters | None = None,
    color: Color = "bgr",
) -> CLNFDetector:
    """The process's shared :class:`CLNFDetector` for these arguments, loaded on first use.

    Worker processes (batch processing, unpickled detectors) call this so that each loads a
    model once however many inputs it processes. Arguments as for :class:`CLNFDetector`.
    """
    key = (model, None if model_dir is None else os.fspath(model_dir), params, color)
    with _cache_lock:
        det = _cache.get(key)
        if det is None:
            det = _cache[key] = CLNFDetector(model, model_dir, params=params, color=color)
        return det
