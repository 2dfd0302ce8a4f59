"""OpenFace's per-face output files of the AU stage: ``-simalign`` images and the ``-hogalign``
``.hog`` file, in the layouts OpenFace writes."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from .action_units import AUFeatures, hog_file_record

__all__ = ["AlignedFaceWriter", "HogFileWriter"]


class AlignedFaceWriter:
    """Writes each observation's aligned face into ``<out_dir>/<name>_aligned/`` as a 24-bit BMP,
    named as OpenFace names them: ``frame_det_<face 2 digits>_<frame 6 digits>.bmp`` for sequences,
    ``face_det_<face 6 digits>.bmp`` for still images. Failed frames are black images."""

    def __init__(self, out_dir: Path, name: str) -> None:
        from .video import require_cv2

        self._cv2 = require_cv2()
        self.folder = out_dir / f"{name}_aligned"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"cannot create {self.folder}: {e.strerror}") from e

    def _write(self, path: Path, face: np.ndarray) -> None:
        if not self._cv2.imwrite(str(path), face):
            raise OSError(f"cannot write {path}")

    def write_frame(self, frame: int, features: AUFeatures, face_id: int = 0) -> None:
        """The aligned face of 1-based `frame` of a sequence."""
        self._write(self.folder / f"frame_det_{face_id:02d}_{frame:06d}.bmp", features.aligned_face)

    def write_image_face(self, index: int, features: AUFeatures) -> None:
        """The aligned face of face `index` (0-based) of a still image."""
        self._write(self.folder / f"face_det_{index:06d}.bmp", features.aligned_face)


class HogFileWriter:
    """``<out_dir>/<name>.hog``: one 17 872-byte record per observation, in order."""

    def __init__(self, out_dir: Path, name: str) -> None:
        self.path = out_dir / f"{name}.hog"
        try:
            self._out: BinaryIO = open(self.path, "wb")
        except OSError as e:
            raise OSError(f"cannot write {self.path}: {e.strerror}") from e

    def write(self, features: AUFeatures, valid: bool) -> None:
        """One record; `valid`: the CSV ``success`` of the row (FaceLandmarkImg: the model's
        ``detection_success``)."""
        self._out.write(hog_file_record(features.hog, valid))

    def close(self) -> None:
        self._out.close()
