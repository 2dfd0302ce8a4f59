"""FitParameters: what OpenFace's command line sets for a fit (its ``FaceModelParameters``)."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _clnf

__all__ = ["FitParameters"]

# Model names whose parameter sets are OpenFace's CE-CLM ones; every other model (the CLNF and
# CLM files, general or wild-trained) gets the CLNF/CLM set. OpenFace decides this by the
# model file's stem (SPEC §10.2).
_CECLM_STEM = "main_ceclm_general"
_NAMES = {"clnf": False, "clm": False, "ceclm": True, "clnf_wild": False, "clm_wild": False}


def _is_ceclm(model: str | Path) -> bool:
    if isinstance(model, str) and model in _NAMES:
        return _NAMES[model]
    path = Path(model)
    if path.suffix != ".txt":
        raise ValueError(
            f"unknown model {str(model)!r}: expected one of {', '.join(_NAMES)} "
            "or the path of an OpenFace main_*.txt file"
        )
    return path.stem == _CECLM_STEM


@dataclass(frozen=True)
class FitParameters:
    """The parameters of a landmark fit, as OpenFace's command line sets them.

    Use a preset, :meth:`default` or :meth:`wild`, and change fields with
    :func:`dataclasses.replace`. Every detector uses :meth:`default` for its model unless it is
    given other parameters (``CLNFDetector(..., params=...)``); :meth:`CLNFDetector.fit`,
    :meth:`~CLNFDetector.detect` and :meth:`~CLNFDetector.tracker` also take ``params=`` for
    one call or one stream. Values are checked when the object is made: a bad value raises
    ``ValueError`` (``TypeError`` for a wrong type) naming the field.

    Fields (OpenFace's flag or ``FaceModelParameters`` member in brackets):
        window_sizes_init: search window (pixels of the patch-expert reference frame) per patch
            scale for images and for detections in video: odd, at most 31, 0 skips a scale
            (at least one scale must be used); missing entries count as 0, extra ones are
            unused (``window_sizes_init``).
        window_sizes_small: the same for video frames tracked from a successful previous
            frame (``window_sizes_small``).
        sigma: mean-shift kernel width at the coarsest scale (``-sigma``, > 0); finer scales
            widen it.
        reg_factor: shape regularisation at the coarsest scale (``-reg``, >= 0); finer scales
            loosen it.
        weight_factor: confidence weighting of the landmarks (``-w_reg``); 0 is plain RLMS,
            above 0 NU-RLMS (patch-expert confidences weight the landmarks).
        iterations: RLMS iterations per rigid and per non-rigid step at each scale
            (``-n_iter``, 1 to 1000).
        multi_view: fit from OpenFace's 11 head-rotation hypotheses and keep the best
            (``-multi_view``); images only: video re-detections always use them.
        validate_detections: run the CNN validator on each fit (``-validate_detections``);
            without it ``success`` only says that the fit ran.
        validation_boundary: validator confidence a fit must exceed to succeed (0 to 1).
        refine_hierarchical: refine the eyes (and the inner face, CLNF) with the part models.
        reinit_video_every: in video, a lost face is searched for again every this many
            failed frames (``reinit_video_every``, at least 1).
    """

    window_sizes_init: tuple[int, ...] = (11, 9, 7, 5)
    window_sizes_small: tuple[int, ...] = (0, 9, 7, 0)
    sigma: float = 1.5
    reg_factor: float = 25.0
    weight_factor: float = 0.0
    iterations: int = 5
    multi_view: bool = False
    validate_detections: bool = True
    validation_boundary: float = 0.725
    refine_hierarchical: bool = True
    reinit_video_every: int = 2

    def __post_init__(self) -> None:
        # Normalise to plain Python types (lists and numpy scalars are accepted), then let the
        # core check the values: its rules are the ones every fit applies.
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name.startswith("window_sizes"):
                if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
                    raise TypeError(f"{f.name} must be a sequence of ints, got {v!r}")
                v = tuple(_as_int(x, f.name) for x in v)
            elif f.type in (bool, "bool"):
                if not isinstance(v, (bool, np.bool_)):
                    raise TypeError(f"{f.name} must be a bool, got {v!r}")
                v = bool(v)
            elif f.type in (int, "int"):
                v = _as_int(v, f.name)
            else:
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    raise TypeError(f"{f.name} must be a number, got {v!r}")
                v = float(v)
            object.__setattr__(self, f.name, v)
        _clnf.check_parameters(self)

    @classmethod
    def default(cls, model: str | Path = "clnf") -> FitParameters:
        """OpenFace's command-line defaults for ``model``.

        Args:
            model: ``"clnf"``, ``"clm"``, ``"ceclm"``, ``"clnf_wild"``, ``"clm_wild"`` or the
                path of a ``main_*.txt`` file. CE-CLM (the stem ``main_ceclm_general``) has
                ``sigma`` 2.25 and ``reg_factor`` 22.5, every other model 1.5 and 25, as in
                OpenFace. The wild-trained model files get these defaults too: OpenFace
                changes the parameters only when ``-wild`` is given.
        """
        if _is_ceclm(model):
            return cls(sigma=2.25, reg_factor=22.5)
        return cls()

    @classmethod
    def wild(cls, model: str | Path = "clnf") -> FitParameters:
        """OpenFace's ``-wild`` parameters for ``model``: initial windows
        (15, 13, 11, 11), 10 iterations, NU weighting (``weight_factor`` 2.5), multi-view;
        ``sigma`` / ``reg_factor`` 1.25 / 35 for CLNF and CLM, 1.875 / 31.5 for CE-CLM.
        ``window_sizes_small`` and the validation and video settings are the defaults'.

        Args:
            model: as in :meth:`default`.
        """
        ceclm = _is_ceclm(model)
        return cls(
            window_sizes_init=(15, 13, 11, 11),
            sigma=1.875 if ceclm else 1.25,
            reg_factor=31.5 if ceclm else 35.0,
            weight_factor=2.5,
            iterations=10,
            multi_view=True,
        )


def _as_int(v: object, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must hold ints, got {v!r}")
    return int(v)
