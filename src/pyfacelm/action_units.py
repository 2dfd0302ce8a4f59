"""Facial action units: OpenFace's FaceAnalyser (AU intensities and presences) in-process.

Action units (FACS) code the visible movements of facial muscles: AU01 inner brow raiser,
AU12 lip corner puller, AU45 blink, ... For each face OpenFace predicts 17 intensities
(``AUxx_r``, 0 to 5) and 18 presences (``AUxx_c``, 0 or 1) with linear SVR / SVM models over
a HOG descriptor of the similarity-aligned face and the shape-model parameters.

Two modes, as in OpenFace:

* still images (FaceLandmarkImg): :meth:`AUAnalyser.static` - static models only;
* videos (FeatureExtraction): :meth:`AUAnalyser.sequence` gives one :class:`AUSequence` per
  stream, fed every frame. Its dynamic models subtract person-specific running medians; at the
  end :meth:`AUSequence.finish` returns the post-processed values of every frame, which are
  what FeatureExtraction writes to its CSV.

The AU model files (``AU_predictors/`` of the model folder) are OpenFace's, under its academic
non-commercial licence, and were trained on research-only data sets.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Union

import numpy as np
import numpy.typing as npt

from . import _clnf
from .errors import ModelNotFoundError
from .models import find_model_dir

if TYPE_CHECKING:
    from .face import Face

__all__ = [
    "AUAnalyser",
    "AUFeatures",
    "AUSequence",
    "ActionUnits",
    "au_column_names",
    "format_au_values",
    "hog_file_record",
]

DYNAMIC_MODULE = "AU_predictors/main_dynamic_svms.txt"
STATIC_MODULE = "AU_predictors/main_static_svms.txt"

LandmarksLike = Union["Face", npt.ArrayLike]


@dataclass(frozen=True)
class ActionUnits:
    """AU values of one face observation.

    Attributes:
        intensity: ``{"AU01": value, ...}`` intensities, sorted by name (17 with OpenFace's models).
        presence: ``{"AU01": 0.0 or 1.0, ...}`` presences, sorted by name (18, including AU28).
    """

    intensity: dict[str, float]
    presence: dict[str, float]


@dataclass(frozen=True)
class AUFeatures:
    """What the AU predictors see for one face.

    Attributes:
        aligned_face: (112, 112, 3) uint8, B, G, R: the face similarity-aligned to the shape
            model's mean shape and masked (black outside the face; all black on a failed frame).
        hog: (4464,) float32 FHOG (12 x 12 cells x 31 features, index (row * 12 + col) * 31 + k).
        geometry: (238,) float64, the non-rigid shape offsets V p (204) and p itself (34).
        warp: (2, 3) float32 affine map from image pixels to aligned-face pixels.
    """

    aligned_face: npt.NDArray[np.uint8]
    hog: npt.NDArray[np.float32]
    geometry: npt.NDArray[np.float64]
    warp: npt.NDArray[np.float32]

    @classmethod
    def from_native(cls, f: _clnf.AUFeatures) -> AUFeatures:
        """Copy the compiled core's features into read-only arrays."""
        face, hog, geometry, warp = f.aligned_face, f.hog, f.geometry, f.warp
        for a in (face, hog, geometry, warp):
            a.setflags(write=False)
        return cls(face, hog, geometry, warp)


def _landmarks(face: LandmarksLike) -> npt.NDArray[np.float32]:
    """(68, 2) landmarks of a Face or an array-like."""
    pts = getattr(face, "landmarks", face)
    arr = np.asarray(pts, dtype=np.float32)
    if arr.shape != (68, 2):
        raise ValueError(
            f"face must be a pyfacelm.Face or a (68, 2) landmark array, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("landmarks contain NaN or infinity")
    return arr


def _values(names: Sequence[str], values: npt.NDArray[np.float64]) -> dict[str, float]:
    return {n: float(v) for n, v in zip(names, values)}


def _module(model_dir: str | os.PathLike[str] | None, rel: str) -> str:
    root = find_model_dir(model_dir)
    path = root / rel
    if not path.is_file():
        raise ModelNotFoundError(
            f"AU models not found: {str(path)!r} is missing. The action-unit models are a separate "
            'set: `pyfacelm.download.download_models(["au"])`, or import them from an '
            "OpenFace checkout with "
            "`pyfacelm models import PATH` or copy its lib/local/FaceAnalyser/AU_predictors/ "
            "folder into the model folder."
        )
    return str(path)


class AUAnalyser:
    """OpenFace's FaceAnalyser: AU intensities and presences of fitted faces.

    Loads the AU models once (immutable; one analyser may serve many threads and streams).

    Args:
        model_dir: the model folder (see :func:`pyfacelm.find_model_dir`); it must contain
            ``AU_predictors/``.
        static_sequences: use the static models for sequences too (FeatureExtraction's
            ``-au_static``): no person-specific normalisation and no offsets.

    Raises:
        ModelNotFoundError: the AU model files are missing.
        ModelFormatError: an AU model file is malformed.
    """

    def __init__(
        self, model_dir: str | os.PathLike[str] | None = None, *, static_sequences: bool = False
    ) -> None:
        self._static = _clnf.AUModel(_module(model_dir, STATIC_MODULE))
        self._sequence_model = (
            self._static if static_sequences else _clnf.AUModel(_module(model_dir, DYNAMIC_MODULE))
        )
        self.model_dir = Path(self._static.path).parent.parent

    @property
    def intensity_names(self) -> list[str]:
        """AU names with an intensity output, sorted (``AU01`` ... ``AU45``)."""
        return list(self._static.intensity_names)

    @property
    def presence_names(self) -> list[str]:
        """AU names with a presence output, sorted."""
        return list(self._static.presence_names)

    def features(
        self, image: np.ndarray, face: LandmarksLike, *, color: Literal["bgr", "rgb"] = "bgr"
    ) -> AUFeatures:
        """The aligned face, HOG and geometry descriptors of a face in ``image``.

        Args:
            image: uint8 (H, W) gray or (H, W, 3) colour array.
            face: a :class:`pyfacelm.Face` or its (68, 2) landmarks.
            color: channel order of a colour image.
        """
        return AUFeatures.from_native(self._static.features(image, _landmarks(face), color))

    def static(
        self, image: np.ndarray, face: LandmarksLike, *, color: Literal["bgr", "rgb"] = "bgr"
    ) -> ActionUnits:
        """AUs of one face in a still image, as FaceLandmarkImg computes them.

        Static models only; intensities clipped to [0, 5]. Computed whatever the face's
        ``success`` (as OpenFace does).
        """
        f = self._static.features(image, _landmarks(face), color)
        reg, cls = self._static.predict_static(f)
        return ActionUnits(
            _values(self._static.intensity_names, reg), _values(self._static.presence_names, cls)
        )

    def sequence(self) -> AUSequence:
        """A new per-stream state for one video or image sequence."""
        return AUSequence(self._sequence_model)


class AUSequence:
    """The AU state of one stream (FeatureExtraction's per-video processing).

    Feed every frame in order with :meth:`add`, then call :meth:`finish`. Not for concurrent
    use; create one per stream with :meth:`AUAnalyser.sequence`.
    """

    def __init__(self, model: _clnf.AUModel) -> None:
        self._model = model
        self._core = _clnf.AUSequence(model)
        self._last_features: AUFeatures | None = None

    @property
    def n_frames(self) -> int:
        return int(self._core.n_frames)

    @property
    def last_features(self) -> AUFeatures | None:
        """Features of the last frame added with ``keep_features=True``."""
        return self._last_features

    def add(
        self,
        frame: np.ndarray,
        face: LandmarksLike | None,
        *,
        success: bool | None = None,
        color: Literal["bgr", "rgb"] = "bgr",
        keep_features: bool = False,
    ) -> ActionUnits:
        """Process the next frame.

        Args:
            frame: the colour (or gray) frame the face was tracked in.
            face: the tracked :class:`pyfacelm.Face` of this frame, its (68, 2) landmarks, or
                None when no face was tracked.
            success: whether the tracking succeeded on this frame; default the face's
                ``detection_success`` if it has one, else ``face.success``; True for
                landmarks, False for None. Failed frames enter the
                history as zeros, as in OpenFace.
            keep_features: keep the aligned face and HOG for :attr:`last_features`.

        Returns:
            The frame-time values: raw (unclipped) intensities with the medians so far and
            0/1 presences; all 0 on a failed frame. These are not the final values
            (see :meth:`finish`).
        """
        if success is None:
            # OpenFace's AU stage follows the model's detection flag, which can differ from the
            # returned success on a first detection; use it when the face carries it.
            flag = getattr(face, "detection_success", getattr(face, "success", True))
            success = face is not None and bool(flag)
        if success and face is not None:
            f = self._model.features(frame, _landmarks(face), color)
        else:
            success = False
            f = self._model.failed_features()
        reg, cls = self._core.add(f, success)
        self._last_features = AUFeatures.from_native(f) if keep_features else None
        return ActionUnits(
            _values(self._model.intensity_names, reg), _values(self._model.presence_names, cls)
        )

    def finish(self) -> list[ActionUnits]:
        """Post-processed values of every frame added so far, as FeatureExtraction writes them:
        re-predicted with the final medians, per-AU offset removed, clipped to [0, 5], 3-frame
        smoothed intensities and 7-frame majority presences. The stream may continue afterwards."""
        reg, cls = self._core.postprocess()
        ni, npres = self._model.intensity_names, self._model.presence_names
        return [ActionUnits(_values(ni, r), _values(npres, c)) for r, c in zip(reg, cls)]


def au_column_names(intensity_names: Sequence[str], presence_names: Sequence[str]) -> list[str]:
    """OpenFace's CSV column names of the AU block: ``AUxx_r`` (sorted), then ``AUxx_c``."""
    return [f"{n}_r" for n in sorted(intensity_names)] + [f"{n}_c" for n in sorted(presence_names)]


def format_au_values(units: ActionUnits, *, image_mode: bool = False) -> list[str]:
    """The AU block of one CSV row as OpenFace prints it, in :func:`au_column_names` order.

    Sequences (FeatureExtraction, post-processed values): 2 decimals everywhere. Still images
    (FaceLandmarkImg): intensities with 2 decimals, presences with 1.
    """
    reg = [f"{units.intensity[n]:.2f}" for n in sorted(units.intensity)]
    fmt = "{:.1f}" if image_mode else "{:.2f}"
    cls = [fmt.format(units.presence[n]) for n in sorted(units.presence)]
    return reg + cls


def hog_file_record(hog: npt.ArrayLike, valid: bool) -> bytes:
    """One record of OpenFace's ``.hog`` file (``-hogalign``): int32 12, 12, 31, float32 +1/-1
    (``valid``: the CSV ``success`` of the row), then the 4464 HOG values as float32,
    little-endian (17 872 bytes). Failed frames carry the all-zero HOG of a black face."""
    values = np.asarray(hog, dtype="<f4").ravel()
    if values.size != 12 * 12 * 31:
        raise ValueError(f"expected 4464 HOG values, got {values.size}")
    head = np.array([12, 12, 31], dtype="<i4").tobytes()
    flag = np.array([1.0 if valid else -1.0], dtype="<f4").tobytes()
    return head + flag + values.tobytes()
