"""Drop-in replacements for OpenFace's ``FeatureExtraction`` and ``FaceLandmarkImg`` commands.

``pyfacelm FeatureExtraction -f video.avi -out_dir out`` accepts OpenFace's single-dash flags and
writes OpenFace's files under ``-out_dir``: ``<name>.csv`` (FeatureExtraction's columns, order
and number formatting), ``<name>_of_details.txt`` and, with ``-tracked``, the annotated video
(``<name>.avi``; FaceLandmarkImg: ``<name>.jpg``). Differences from OpenFace are listed in the
README ("Switching from OpenFace"); with ``-aus`` the CSV gets the AU columns, ``-simalign`` /
``-hogalign`` write OpenFace's aligned faces (``<name>_aligned/``) and HOG file (``<name>.hog``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from . import __version__
from .errors import ModelFormatError, ModelNotFoundError
from .openface_flags import BLOCK_FLAGS, COMMANDS, FILE_FLAGS, UsageError, build_parser, parse

if TYPE_CHECKING:
    from .action_units import AUAnalyser
    from .csv_output import OpenFaceCsvWriter
    from .detector import CLNFDetector

__all__ = ["COMMANDS", "CompatError", "face_landmark_img", "feature_extraction", "main"]


class CompatError(Exception):
    """A problem with the inputs or outputs, reported in one line (exit code 1)."""


@dataclass
class _Options:
    out_dir: Path
    blocks: list[str]
    tracked: bool
    intrinsics: tuple[float | None, float | None, float | None, float | None]
    multi_view: bool
    quiet: bool
    sep: str
    model_file: Path | None
    wild: bool
    au_static: bool
    simalign: bool
    hogalign: bool
    all_blocks: bool

    @property
    def needs_aus(self) -> bool:
        """Whether the AU stage runs (AU columns, aligned faces or HOG)."""
        return "aus" in self.blocks or self.simalign or self.hogalign


def _options(args: argparse.Namespace) -> _Options:
    chosen = [block for flag, block in BLOCK_FLAGS.items() if getattr(args, flag)]
    from .csv_output import OUTPUT_BLOCKS

    # No output flag: every CSV block, as OpenFace writes all it can (the file outputs
    # -simalign, -hogalign and -tracked only when asked for).
    all_blocks = not chosen and not any(getattr(args, f) for f in FILE_FLAGS)
    return _Options(
        out_dir=Path(args.out_dir),
        blocks=list(OUTPUT_BLOCKS) if all_blocks else chosen,
        all_blocks=all_blocks,
        wild=args.wild,
        au_static=bool(getattr(args, "au_static", False)),
        simalign=args.simalign,
        hogalign=args.hogalign,
        tracked=args.tracked,
        intrinsics=(args.fx, args.fy, args.cx, args.cy),
        multi_view=bool(args.multi_view),
        quiet=args.quiet,
        sep=args.sep,
        model_file=None if args.mloc is None else Path(args.mloc),
    )


def _csv_writer(
    out: TextIO,
    opts: _Options,
    det: CLNFDetector,
    n_eye: int,
    analyser: AUAnalyser | None,
    *,
    sequence: bool,
) -> OpenFaceCsvWriter:
    """The CSV writer of one output file: OpenFace's blocks, separator and lead columns; in a
    sequence the AU block follows at the end (post-processed values)."""
    from .csv_output import OpenFaceCsvWriter

    return OpenFaceCsvWriter(
        out,
        sequence=sequence,
        blocks=opts.blocks,
        sep=opts.sep,
        n_landmarks=det.n_landmarks,
        n_eye=n_eye,
        n_modes=det.n_modes,
        au_names=None if analyser is None else (analyser.intensity_names, analyser.presence_names),
        aus_later=sequence,
    )


def _intrinsics(opts: _Options, width: int, height: int) -> tuple[float, float, float, float]:
    """OpenFace's rule (computed in float like the core's default): a missing -cx / -cy is
    the image centre; missing focal lengths are the guess from the image size; one given focal
    length serves for both."""
    f32 = np.float32
    w, h = f32(width), f32(height)
    guess = f32((f32(500) * (w / f32(640)) + f32(500) * (h / f32(480))) / f32(2))
    fx, fy, cx, cy = opts.intrinsics
    if fx is None and fy is None:
        fx = fy = float(guess)
    elif fx is None or fy is None:
        fx = fy = fx if fx is not None else fy
    assert fx is not None and fy is not None
    return fx, fy, float(w / f32(2)) if cx is None else cx, float(h / f32(2)) if cy is None else cy


def _detector(opts: _Options, model_dir: str | None) -> Any:
    """The landmark model: -mloc as a path, or a main_*.txt name looked up in the model folder
    (OpenFace's ``-mloc model/main_clnf_general.txt``); CLNF by default."""
    from .detector import MODELS, CLNFDetector
    from .parameters import FitParameters

    def make(model: str) -> Any:
        # -wild: OpenFace's in-the-wild fitting parameters for this model (SPEC §10.3).
        params = FitParameters.wild(model) if opts.wild else None
        return CLNFDetector(model, model_dir, params=params)

    if opts.model_file is None:
        return make("clnf")
    p = opts.model_file.expanduser()
    if p.is_file():
        return make(str(p))
    by_file = {v: k for k, v in MODELS.items()}
    if p.name in by_file:
        return make(by_file[p.name])
    raise CompatError(f"-mloc: no such model file: {opts.model_file}")


def _analyser(opts: _Options, model_dir: str | None) -> Any:
    """The AU analyser when the AU stage runs, else None. With no output flag the AU block is
    dropped (with a note) if the AU models are not installed: "all it can write"."""
    from .action_units import AUAnalyser

    if not opts.needs_aus:
        return None
    try:
        return AUAnalyser(model_dir, static_sequences=opts.au_static)
    except ModelNotFoundError as e:
        if not opts.all_blocks:
            raise
        opts.blocks.remove("aus")
        if not opts.quiet:
            print(f"note: no action units written: {e}", file=sys.stderr)
        return None


def _names(args: argparse.Namespace, inputs: list[tuple[str, Any]]) -> list[str]:
    if args.names:
        return [
            Path(n).stem if Path(n).suffix.lower() == ".csv" else Path(n).name for n in args.names
        ]
    return [name for name, _ in inputs]


def _write_details(
    path: Path,
    *,
    input_desc: str,
    csv: Path,
    intr: Sequence[float],
    opts: _Options,
    model: str,
    tracked: Path | None,
) -> None:
    on = set(opts.blocks)
    lines = [
        f"Input:{input_desc}",
        "Camera parameters:" + ",".join(f"{v:g}" for v in intr),
        f"Output csv:{csv.resolve()}",
        f"Gaze: {int('gaze' in on)}",
        f"AUs: {int('aus' in on)}",
        f"Landmarks 2D: {int('2Dfp' in on)}",
        f"Landmarks 3D: {int('3Dfp' in on)}",
        f"Pose: {int('pose' in on)}",
        f"Shape parameters: {int('pdmparams' in on)}",
        f"Output HOG: {int(opts.hogalign)}",
        f"Output similarity aligned: {int(opts.simalign)}",
        f"Output tracked: {'' if tracked is None else tracked.resolve()}",
        f"Landmark model: {model}",
        f"Software: pyfacelm {__version__} (OpenFace 2.2 command-line compatible)",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _open_csv(path: Path) -> Any:
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as e:
        raise CompatError(f"cannot write {path}: {e.strerror}") from e


def _n_eye(det: Any) -> int:
    names = det.native_model.part_names
    return 56 if "left_eye_28" in names and "right_eye_28" in names else 0


# --- FeatureExtraction -----------------------------------------------------------------------


def _camera_frames(device: int) -> tuple[Iterator[np.ndarray], float]:
    from .video import require_cv2

    cv2 = require_cv2()
    # OpenCV logs each backend it tries; the user gets our one line instead.
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        cap = cv2.VideoCapture(device)
    finally:
        logging.setLogLevel(level)
    if not cap.isOpened():
        raise CompatError(f"-device {device}: cannot open camera device {device}")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)

    def frames() -> Iterator[np.ndarray]:
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    return
                yield frame
        finally:
            cap.release()

    return frames(), fps


def feature_extraction(args: argparse.Namespace) -> int:
    from .au_files import AlignedFaceWriter, HogFileWriter
    from .drawing import draw_faces
    from .video import open_video, require_cv2

    cv2 = require_cv2()
    opts = _options(args)
    inputs: list[tuple[str, Any]] = []
    for f in args.files:
        inputs.append((Path(f).stem, Path(f)))
    for d in args.dirs:
        inputs.append((Path(d).name, Path(d)))
    if args.device is not None:
        inputs.append((f"webcam_{args.device}", args.device))
    for _, src in inputs:
        if isinstance(src, Path) and not src.exists():
            raise CompatError(f"no such file or folder: {src}")
    det = _detector(opts, args.model_dir)
    analyser = _analyser(opts, args.model_dir)
    n_eye = _n_eye(det)
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    for name, (_, src) in zip(_names(args, inputs), inputs):
        # Timestamps as OpenFace's: frame k at k / fps for a video file (30 fps if the file
        # does not say), 0 for an image folder, seconds since the start for a camera.
        if isinstance(src, int):
            frames, fps = _camera_frames(src)
            clock, desc = "camera", f"camera device {src}"
        else:
            try:
                source = open_video(src)
            except OSError as e:
                raise CompatError(str(e)) from e
            frames, fps, desc = iter(source), source.fps, str(src.resolve())
            clock = "zero" if source.is_sequence else "fps"
        csv_path = opts.out_dir / f"{name}.csv"
        video_path = opts.out_dir / f"{name}.avi" if opts.tracked else None
        tracker = det.tracker()
        write_aus = "aus" in opts.blocks and analyser is not None
        # AU values are final only once the sequence has ended (post-processing): the rows go
        # to a partial file first and get their AU block appended at the end.
        part_path = opts.out_dir / f".{name}.csv.part" if write_aus else csv_path
        out = _open_csv(part_path)
        writer = _csv_writer(out, opts, det, n_eye, analyser, sequence=True)
        stream = None if analyser is None else analyser.sequence()
        keep = opts.simalign or opts.hogalign
        aligned = AlignedFaceWriter(opts.out_dir, name) if opts.simalign else None
        hog = HogFileWriter(opts.out_dir, name) if opts.hogalign else None
        vw: Any = None
        intr: tuple[float, float, float, float] | None = None
        start = time.perf_counter()
        n = 0
        completed = False  # else the partial CSV is removed
        try:
            for n, frame in enumerate(frames, start=1):
                if intr is None:
                    intr = _intrinsics(opts, frame.shape[1], frame.shape[0])
                faces = tracker.update(frame, intrinsics=intr)
                if clock == "camera":
                    ts = time.perf_counter() - start
                else:
                    ts = 0.0 if clock == "zero" else (n - 1) * (1.0 / (fps if fps > 0 else 30.0))
                face = faces[0] if faces else None
                writer.write_frame(n, ts, face)
                if stream is not None:
                    stream.add(frame, face, keep_features=keep)
                    feats = stream.last_features
                    if aligned is not None and feats is not None:
                        aligned.write_frame(n, feats)
                    if hog is not None and feats is not None:
                        # The record's flag is the CSV's success (SPEC_AU §9.3).
                        hog.write(feats, face is not None and face.success)
                if video_path is not None:
                    if vw is None:
                        vw = cv2.VideoWriter(
                            str(video_path),
                            cv2.VideoWriter_fourcc(*"DIVX"),
                            fps if fps > 0 else 30.0,
                            (frame.shape[1], frame.shape[0]),
                        )
                        if not vw.isOpened():
                            raise CompatError(f"cannot write video {video_path}")
                    vw.write(draw_faces(frame, [face] if face else [], intr))
            completed = True
        except KeyboardInterrupt:
            completed = True  # a live camera is stopped with Ctrl-C; keep what was written
        except OSError as e:
            raise CompatError(str(e)) from e
        finally:
            if vw is not None:
                vw.release()
            if hog is not None:
                hog.close()
            out.close()
            if not completed and write_aus:
                part_path.unlink(missing_ok=True)
        if write_aus:
            assert stream is not None
            _complete_aus(part_path, csv_path, stream.finish(), opts.sep)
        if n == 0:
            raise CompatError(f"no frames could be read from {desc}")
        assert intr is not None
        _write_details(
            opts.out_dir / f"{name}_of_details.txt",
            input_desc=desc,
            csv=csv_path,
            intr=intr,
            opts=opts,
            model=det.model_name,
            tracked=video_path,
        )
        if not opts.quiet:
            print(f"{desc}: {n} frames -> {csv_path}", file=sys.stderr)
    return 0


def _complete_aus(part: Path, csv_path: Path, units: Sequence[Any], sep: str) -> None:
    """Write `csv_path` from the partial file with the post-processed AU block appended."""
    from .csv_output import append_au_block

    try:
        with open(part, encoding="utf-8", newline="") as src, _open_csv(csv_path) as dst:
            append_au_block(src, dst, units, sep)
    except OSError as e:
        raise CompatError(f"cannot write {csv_path}: {e.strerror}") from e
    finally:
        part.unlink(missing_ok=True)


# --- FaceLandmarkImg -------------------------------------------------------------------------


def face_landmark_img(args: argparse.Namespace) -> int:
    from .au_files import AlignedFaceWriter, HogFileWriter
    from .drawing import draw_faces
    from .video import IMAGE_EXTENSIONS, require_cv2

    cv2 = require_cv2()
    opts = _options(args)
    images: list[tuple[str, Path]] = []
    for f in args.files:
        if not Path(f).is_file():
            raise CompatError(f"no such image: {f}")
        images.append((Path(f).stem, Path(f)))
    for d in args.dirs:
        folder = Path(d)
        if not folder.is_dir():
            raise CompatError(f"no such folder: {d}")
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not found:
            raise CompatError(f"folder {d} contains no images ({', '.join(IMAGE_EXTENSIONS)})")
        images += [(p.stem, p) for p in found]
    if args.names and len(args.names) != len(images):
        raise UsageError(
            f"-of given {len(args.names)} time(s) for {len(images)} image(s); give one per image"
        )
    det = _detector(opts, args.model_dir)
    analyser = _analyser(opts, args.model_dir)
    n_eye = _n_eye(det)
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    for name, (_, path) in zip(_names(args, images), images):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise CompatError(f"cannot read image: {path}")
        intr = _intrinsics(opts, img.shape[1], img.shape[0])
        # -multi_view 0 keeps the parameters' own choice (-wild tries all 11 views).
        faces = det.detect(img, intrinsics=intr, multi_view=True if opts.multi_view else None)
        csv_path = opts.out_dir / f"{name}.csv"
        aligned = AlignedFaceWriter(opts.out_dir, name) if opts.simalign else None
        hog = HogFileWriter(opts.out_dir, name) if opts.hogalign else None
        try:
            with _open_csv(csv_path) as out:
                writer = _csv_writer(out, opts, det, n_eye, analyser, sequence=False)
                writer.write_header()
                for i, face in enumerate(faces):
                    # Static AUs for every face, validated or not (SPEC_AU §8.1).
                    units = analyser.static(img, face) if "aus" in writer.blocks else None
                    writer.write_image_face(i, face, units)
                    if aligned is not None or hog is not None:
                        feats = analyser.features(img, face)
                        if aligned is not None:
                            aligned.write_image_face(i, feats)
                        if hog is not None:
                            hog.write(feats, face.detection_success)
        finally:
            if hog is not None:
                hog.close()
        tracked = opts.out_dir / f"{name}.jpg" if opts.tracked else None
        if tracked is not None and not cv2.imwrite(str(tracked), draw_faces(img, faces, intr)):
            raise CompatError(f"cannot write {tracked}")
        _write_details(
            opts.out_dir / f"{name}_of_details.txt",
            input_desc=str(path.resolve()),
            csv=csv_path,
            intr=intr,
            opts=opts,
            model=det.model_name,
            tracked=tracked,
        )
        if not opts.quiet:
            print(f"{path}: {len(faces)} face(s) -> {csv_path}", file=sys.stderr)
    return 0


def main(command: str, argv: Sequence[str]) -> int:
    """Run OpenFace's `command` ("FeatureExtraction" or "FaceLandmarkImg") with its flags."""
    prog = f"pyfacelm {command}"
    try:
        args = parse(command, argv)
        if args.help:
            build_parser(command).print_help()
            return 0
        run = feature_extraction if command == "FeatureExtraction" else face_landmark_img
        return run(args)
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except (
        CompatError,
        ModelNotFoundError,
        ModelFormatError,
        ImportError,
        ValueError,
        OSError,
        MemoryError,
    ) as e:
        print(f"{prog}: error: {str(e) or 'out of memory'}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
