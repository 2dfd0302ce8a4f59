"""CSV output with OpenFace 2.2's column names, order and number formatting.

Fields are separated by ``,`` as OpenFace 2.2's code writes them (older OpenFace versions wrote
``", "``; ``sep=", "`` reproduces that for scripts written against them). The header is written
at once, so a run that finds no face still gives a valid, header-only CSV.

Written: ``frame, face_id, timestamp, confidence, success`` (sequences) or
``image, face, confidence, success`` (images), then the gaze ``gaze_0_*``, ``gaze_1_*``,
``gaze_angle_*``, the eye landmarks ``eye_lmk_x_*``, ``eye_lmk_y_*`` and ``eye_lmk_X/Y/Z_*``, the
head pose ``pose_T*``, ``pose_R*``, the 2D landmarks ``x_*``, ``y_*``, the 3D landmarks ``X_*``,
``Y_*``, ``Z_*`` and the shape parameters ``p_scale ... p_ty, p_0 ...``.
(:class:`CsvWriter`, the ``pyfacelm image`` / ``video`` CSV), then, when asked for, the action
units ``AUxx_r``, ``AUxx_c``.

:class:`OpenFaceCsvWriter` writes FeatureExtraction's / FaceLandmarkImg's own files: the same
columns grouped in OpenFace's output blocks (:data:`OUTPUT_BLOCKS`, each switched on by one of
OpenFace's flags), OpenFace's lead columns and separator; the action units (``aus``) are the
last block.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TextIO

import numpy as np

from .action_units import ActionUnits, au_column_names, format_au_values
from .face import Face

__all__ = [
    "FACE_BLOCKS",
    "OUTPUT_BLOCKS",
    "CsvWriter",
    "OpenFaceCsvWriter",
    "append_au_block",
    "block_columns",
    "block_values",
    "eye_3d_columns",
    "eye_3d_values",
    "gaze_columns",
    "gaze_values",
    "header",
]


def header(n_landmarks: int, n_eye: int, n_modes: int, *, sequence: bool) -> list[str]:
    cols = (
        ["frame", "face_id", "timestamp", "confidence", "success"]
        if sequence
        else ["image", "face", "confidence", "success"]
    )
    cols += gaze_columns()
    cols += [f"eye_lmk_x_{i}" for i in range(n_eye)] + [f"eye_lmk_y_{i}" for i in range(n_eye)]
    cols += eye_3d_columns(n_eye)
    cols += ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    cols += [f"x_{i}" for i in range(n_landmarks)] + [f"y_{i}" for i in range(n_landmarks)]
    cols += [f"{a}_{i}" for a in "XYZ" for i in range(n_landmarks)]
    cols += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [f"p_{i}" for i in range(n_modes)]
    return cols


def _fmt(values: Sequence[float] | np.ndarray, decimals: int) -> list[str]:
    return [f"{float(v):.{decimals}f}" for v in np.asarray(values).ravel()]


def gaze_columns() -> list[str]:
    """``gaze_0_x ... gaze_1_z, gaze_angle_x, gaze_angle_y`` (FeatureExtraction's order)."""
    return [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"] + ["gaze_angle_x", "gaze_angle_y"]


def gaze_values(face: Face) -> list[str]:
    """The gaze vectors with 6 decimals and the angles with 3, zeros where OpenFace writes them
    (a failed frame, or a model without eye models)."""
    g0 = face.gaze_0 if face.gaze_0 is not None else np.zeros(3, np.float32)
    g1 = face.gaze_1 if face.gaze_1 is not None else np.zeros(3, np.float32)
    ang = face.gaze_angle if face.gaze_angle is not None else np.zeros(2, np.float32)
    return _fmt(g0, 6) + _fmt(g1, 6) + _fmt(ang, 3)


def eye_3d_columns(n_eye: int) -> list[str]:
    """``eye_lmk_X_*``, then ``eye_lmk_Y_*``, then ``eye_lmk_Z_*`` (not interleaved)."""
    return [f"eye_lmk_{a}_{i}" for a in "XYZ" for i in range(n_eye)]


def eye_3d_values(face: Face, n_eye: int) -> list[str]:
    """The 3D eye landmarks (mm, 1 decimal) in :func:`eye_3d_columns` order; zeros without eye
    models."""
    e3 = face.eye_landmarks_3d if face.eye_landmarks_3d is not None else np.zeros((n_eye, 3))
    return _fmt(np.asarray(e3).T, 1)


class CsvWriter:
    """Writes one row per face; the header is written at once.

    With ``au_names`` (the AU analyser's intensity and presence names) the rows end with the
    AU columns: each row is given its values (still images), or, with ``aus_later=True``
    (sequences, whose AU values are final only at the end), rows are written without them and
    :func:`append_au_block` completes the file.
    """

    def __init__(
        self,
        out: TextIO,
        *,
        sequence: bool,
        n_landmarks: int = 68,
        n_eye: int = 56,
        n_modes: int = 34,
        sep: str = ",",
        au_names: tuple[Sequence[str], Sequence[str]] | None = None,
        aus_later: bool = False,
    ):
        if sep not in (",", ", "):
            raise ValueError(f"sep must be ',' or ', ', got {sep!r}")
        self._out = out
        self._sequence = sequence
        self._sep = sep
        self._sizes = (n_landmarks, n_eye, n_modes)
        self._cols = header(n_landmarks, n_eye, n_modes, sequence=sequence)
        self._n_face_cols = len(self._cols)
        self._aus = au_names is not None
        self._aus_later = self._aus and aus_later
        if au_names is not None:
            self._cols += au_column_names(*au_names)
        self._out.write(sep.join(self._cols) + "\n")

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    def _row(self, lead: list[str], face: Face | None, aus: ActionUnits | None = None) -> None:
        n, n_eye, m = self._sizes
        if face is None:
            body = ["0"] * (self._n_face_cols - len(lead))
        else:
            eyes = face.eye_landmarks if face.eye_landmarks is not None else np.zeros((n_eye, 2))
            body = (
                gaze_values(face)
                + _fmt(eyes[:, 0], 1)
                + _fmt(eyes[:, 1], 1)
                + eye_3d_values(face, n_eye)
                + _fmt(face.pose[:3], 1)
                + _fmt(face.pose[3:], 3)
                + _fmt(face.landmarks[:, 0], 1)
                + _fmt(face.landmarks[:, 1], 1)
                + _fmt(face.landmarks_3d.T, 1)
                + _fmt(face.params_global, 3)
                + _fmt(face.params_local, 3)
            )
        if self._aus and not self._aus_later:
            if aus is None and face is not None:
                raise ValueError("this writer has AU columns: give the face's AU values")
            n_au = len(self._cols) - self._n_face_cols
            body += ["0"] * n_au if aus is None else format_au_values(aus, image_mode=True)
        self._out.write(self._sep.join(lead + body) + "\n")

    def write_frame(
        self, frame: int, timestamp: float, face: Face | None, face_id: int = 0
    ) -> None:
        """A sequence row; `frame` is 1-based as in OpenFace; `face` None = nothing tracked.
        (AU columns: with ``aus_later``, added by :func:`append_au_block`.)"""
        if self._aus and not self._aus_later:
            raise ValueError("sequence rows with AU columns need aus_later=True")
        conf = 0.0 if face is None else face.confidence
        success = 0 if face is None or not face.success else 1
        lead = [str(frame), str(face_id), f"{timestamp:.3f}", f"{conf:.2f}", str(success)]
        self._row(lead, face)

    def write_image_face(
        self, image: str, index: int, face: Face | None, aus: ActionUnits | None = None
    ) -> None:
        """An image row (`image` is quoted if it holds a comma, quote or line break).

        ``face=None`` is the row of an image without a face: face 0, confidence 0, success 0 and
        zeros elsewhere, so that every image read has at least one row. `aus`: the face's static
        AU values, required when the writer has AU columns.
        """
        name = (
            image if not any(c in image for c in ',"\r\n') else '"' + image.replace('"', '""') + '"'
        )
        conf, ok = (0.0, False) if face is None else (face.confidence, face.success)
        lead = [name, str(index), f"{conf:.3f}", "1" if ok else "0"]
        self._row(lead, face, aus)

    def flush(self) -> None:
        self._out.flush()


#: OpenFace's CSV output blocks in column order, named by the flag that switches each on
#: (``-gaze``, ``-pose``, ``-2Dfp``, ``-3Dfp``, ``-pdmparams``, ``-aus``). The AU block is
#: last, as OpenFace writes it; its columns come from the AU models (:class:`OpenFaceCsvWriter`'s
#: ``au_names``).
OUTPUT_BLOCKS: tuple[str, ...] = ("gaze", "pose", "2Dfp", "3Dfp", "pdmparams", "aus")
#: The blocks :func:`block_columns` / :func:`block_values` describe (all but ``aus``).
FACE_BLOCKS: tuple[str, ...] = OUTPUT_BLOCKS[:-1]


def block_columns(block: str, n_landmarks: int, n_eye: int, n_modes: int) -> list[str]:
    """The column names of one output block (FeatureExtraction's names and order)."""
    if block == "gaze":
        eyes_2d = [f"eye_lmk_{a}_{i}" for a in "xy" for i in range(n_eye)]
        return gaze_columns() + eyes_2d + eye_3d_columns(n_eye)
    if block == "pose":
        return ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    if block == "2Dfp":
        return [f"{a}_{i}" for a in "xy" for i in range(n_landmarks)]
    if block == "3Dfp":
        return [f"{a}_{i}" for a in "XYZ" for i in range(n_landmarks)]
    if block == "pdmparams":
        return ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [
            f"p_{i}" for i in range(n_modes)
        ]
    raise ValueError(f"unknown output block {block!r}; expected one of {', '.join(FACE_BLOCKS)}")


def block_values(
    block: str, face: Face | None, n_landmarks: int, n_eye: int, n_modes: int
) -> list[str]:
    """One block's tokens for `face` with OpenFace's decimals; zeros for no face (nothing tracked).

    Every value is formatted from the float the core computed (as OpenFace prints its floats),
    so the last digit is the one OpenFace's ``%.<k>f`` gives for the same float.
    """
    if face is None:
        return [f"{0.0:.{d}f}" for d in _zero_decimals(block, n_landmarks, n_eye, n_modes)]
    if block == "gaze":
        eyes = face.eye_landmarks if face.eye_landmarks is not None else np.zeros((n_eye, 2))
        return gaze_values(face) + _fmt(np.asarray(eyes).T, 1) + eye_3d_values(face, n_eye)
    if block == "pose":
        pose = np.asarray(face.pose, dtype=np.float32)  # OpenFace's pose is a float vector
        return _fmt(pose[:3], 1) + _fmt(pose[3:], 3)
    if block == "2Dfp":
        return _fmt(face.landmarks.T, 1)
    if block == "3Dfp":
        return _fmt(face.landmarks_3d.T, 1)
    if block == "pdmparams":
        return _fmt(face.params_global, 3) + _fmt(face.params_local, 3)
    raise ValueError(f"unknown output block {block!r}; expected one of {', '.join(FACE_BLOCKS)}")


def _zero_decimals(block: str, n_landmarks: int, n_eye: int, n_modes: int) -> list[int]:
    if block == "gaze":
        return [6] * 6 + [3] * 2 + [1] * (5 * n_eye)
    if block == "pose":
        return [1] * 3 + [3] * 3
    if block in ("2Dfp", "3Dfp"):
        return [1] * (len(block_columns(block, n_landmarks, n_eye, n_modes)))
    return [3] * (6 + n_modes)


class OpenFaceCsvWriter:
    """FeatureExtraction's (``sequence=True``) or FaceLandmarkImg's CSV: the lead columns
    ``frame, face_id, timestamp, confidence, success`` (or ``face, confidence``) and the chosen
    output blocks in OpenFace's order, tokens joined by `sep` (OpenFace 2.2.0: ``","``; earlier
    2.x: ``", "``). The header is written with the first row.

    A model without eye models has no ``gaze`` block, as in OpenFace. The ``aus`` block needs
    ``au_names`` (the analyser's intensity and presence names). In a sequence the AU values are
    final only at the end (post-processing): with ``aus_later=True`` rows are written without
    the AU block, which :func:`append_au_block` adds once the sequence has ended.
    """

    def __init__(
        self,
        out: TextIO,
        *,
        sequence: bool,
        blocks: Sequence[str] = FACE_BLOCKS,
        sep: str = ",",
        n_landmarks: int = 68,
        n_eye: int = 56,
        n_modes: int = 34,
        au_names: tuple[Sequence[str], Sequence[str]] | None = None,
        aus_later: bool = False,
    ) -> None:
        unknown = [b for b in blocks if b not in OUTPUT_BLOCKS]
        if unknown:
            raise ValueError(f"unknown output block(s): {', '.join(unknown)}")
        if not sep or "\n" in sep or '"' in sep:
            raise ValueError(f"separator must be non-empty without newlines or quotes, got {sep!r}")
        if "aus" in blocks and au_names is None:
            raise ValueError("the 'aus' block needs au_names (the AU analyser's names)")
        self._out = out
        self._sequence = sequence
        self._sep = sep
        self._sizes = (n_landmarks, n_eye, n_modes)
        # OpenFace's block order, whatever order the caller listed them in.
        self._blocks = [b for b in FACE_BLOCKS if b in blocks and not (b == "gaze" and n_eye == 0)]
        self._aus = "aus" in blocks
        self._aus_later = self._aus and aus_later
        lead = (
            ["frame", "face_id", "timestamp", "confidence", "success"]
            if sequence
            else ["face", "confidence"]
        )
        self._cols = lead + [c for b in self._blocks for c in block_columns(b, *self._sizes)]
        if self._aus:
            assert au_names is not None
            self._cols += au_column_names(*au_names)
        self._wrote_header = False

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    @property
    def blocks(self) -> list[str]:
        return self._blocks + (["aus"] if self._aus else [])

    def write_header(self) -> None:
        """Write the header line now (done automatically with the first row)."""
        if not self._wrote_header:
            self._out.write(self._sep.join(self._cols) + "\n")
            self._wrote_header = True

    def _row(self, lead: list[str], face: Face | None, aus: ActionUnits | None) -> None:
        self.write_header()
        body = [t for b in self._blocks for t in block_values(b, face, *self._sizes)]
        if self._aus and not self._aus_later:
            if aus is None:
                raise ValueError("this writer has the 'aus' block: give the row's AU values")
            body += format_au_values(aus, image_mode=not self._sequence)
        self._out.write(self._sep.join(lead + body) + "\n")

    def write_frame(
        self,
        frame: int,
        timestamp: float,
        face: Face | None,
        face_id: int = 0,
        aus: ActionUnits | None = None,
    ) -> None:
        """One FeatureExtraction row; `frame` is 1-based; `face` None: nothing tracked yet;
        `aus`: the row's AU values (not with ``aus_later``)."""
        if not self._sequence:
            raise ValueError("write_frame needs a sequence writer (sequence=True)")
        conf = 0.0 if face is None else face.confidence
        success = 0 if face is None or not face.success else 1
        lead = [str(frame), str(face_id), f"{timestamp:.3f}", f"{conf:.2f}", str(success)]
        self._row(lead, face, aus)

    def write_image_face(self, index: int, face: Face, aus: ActionUnits | None = None) -> None:
        """One FaceLandmarkImg row (`index` = the face's 0-based number in its image; `aus` its
        static AU values when the writer has the AU block)."""
        if self._sequence:
            raise ValueError("write_image_face needs an image writer (sequence=False)")
        self._row([str(index), f"{face.confidence:.3f}"], face, aus)


def append_au_block(
    rows: Iterable[str], out: TextIO, units: Sequence[ActionUnits], sep: str = ","
) -> None:
    """Copy a CSV written with ``aus_later`` (header included, AU columns named) from `rows` to
    `out`, appending to each data row its post-processed AU values (2 decimals, as
    FeatureExtraction rewrites its AU block). One unit per data row; ValueError otherwise."""
    it = iter(rows)
    header = next(it, None)
    if header is None:
        raise ValueError("no header line to complete")
    out.write(header if header.endswith("\n") else header + "\n")
    n = 0
    for n, line in enumerate(it, start=1):
        if n > len(units):
            raise ValueError(f"more rows than AU values ({len(units)})")
        tokens = format_au_values(units[n - 1])
        out.write(line.rstrip("\n") + sep + sep.join(tokens) + "\n")
    if n != len(units):
        raise ValueError(f"{n} rows for {len(units)} AU values")
