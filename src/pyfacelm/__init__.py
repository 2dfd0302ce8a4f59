"""pyfacelm: OpenFace's facial landmark detector, in-process.

The compiled core (:mod:`pyfacelm._clnf`) reimplements OpenFace 2.x's landmark detector in C++;
this package adds model discovery, result types and helpers. Model files are OpenFace's and are
found with :func:`find_model_dir` (see :mod:`pyfacelm.models`).
"""

from __future__ import annotations

from ._clnf import PDM, to_gray
from .action_units import ActionUnits, AUAnalyser, AUFeatures, AUSequence
from .detector import MODELS, CLNFDetector
from .errors import ModelFormatError, ModelNotFoundError
from .face import Face
from .kernels import simd
from .models import find_model_dir, verify
from .parameters import FitParameters
from .tracking import Tracker
from .video import iter_video

__version__ = "0.1.0"

__all__ = [
    "AUAnalyser",
    "AUFeatures",
    "AUSequence",
    "ActionUnits",
    "MODELS",
    "PDM",
    "CLNFDetector",
    "Tracker",
    "Face",
    "FitParameters",
    "ModelFormatError",
    "ModelNotFoundError",
    "__version__",
    "find_model_dir",
    "iter_video",
    "simd",
    "to_gray",
    "verify",
]
