"""Command line: ``pyfacelm image|video|models`` (also ``python -m pyfacelm``).

Exit codes: 0 success, 1 unreadable input or missing models (one-line message), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import ModelFormatError, ModelNotFoundError

if TYPE_CHECKING:
    from .detector import CLNFDetector

__all__ = ["main"]


class UserError(Exception):
    """A problem with the user's input, reported in one line with exit code 1."""


def _detector(args: argparse.Namespace) -> CLNFDetector:
    from .detector import CLNFDetector

    return CLNFDetector(args.model, args.model_dir)


def _open_output(path: str | None) -> tuple[TextIO, bool]:
    if path is None or path == "-":
        return sys.stdout, False
    try:
        return open(path, "w", encoding="utf-8", newline=""), True
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}") from e


def cmd_image(args: argparse.Namespace) -> int:
    from .csv_output import CsvWriter
    from .drawing import draw_faces
    from .video import require_cv2

    cv2 = require_cv2()
    images = []
    for p in args.images:
        path = Path(p)
        if not path.is_file():
            raise UserError(f"no such image: {p}")
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise UserError(f"cannot read image: {p}")
        images.append((p, img))
    det = _detector(args)
    draw_dir = Path(args.draw) if args.draw else None
    if draw_dir is not None:
        draw_dir.mkdir(parents=True, exist_ok=True)
    out, close = _open_output(args.output)
    try:
        writer = CsvWriter(out, sequence=False, n_modes=det._core.n_modes)
        for p, img in images:
            faces = det.detect(img, min_face=args.min_face, multi_view=args.multi_view)
            for i, face in enumerate(faces):
                writer.write_image_face(p, i, face)
            if draw_dir is not None:
                target = draw_dir / (Path(p).stem + ".png")
                if not cv2.imwrite(str(target), draw_faces(img, faces)):
                    raise UserError(f"cannot write {target}")
            if not args.quiet and close:
                print(f"{p}: {len(faces)} face(s)", file=sys.stderr)
    finally:
        if close:
            out.close()
    return 0


def _progress(done: int, total: int | None, start: float) -> None:
    elapsed = time.perf_counter() - start
    fps = done / elapsed if elapsed > 0 else 0.0
    msg = f"\r{done}/{total} frames" if total else f"\r{done} frames"
    msg += f", {fps:.1f} fps"
    if total and fps > 0:
        msg += f", ETA {max(0.0, (total - done) / fps):.0f} s"
    sys.stderr.write(msg + "   ")
    sys.stderr.flush()


def cmd_video(args: argparse.Namespace) -> int:
    from .csv_output import CsvWriter
    from .drawing import draw_faces
    from .video import open_video, require_cv2

    cv2 = require_cv2()
    try:
        source = open_video(args.video)
    except FileNotFoundError as e:
        raise UserError(str(e)) from e
    except OSError as e:
        raise UserError(str(e)) from e
    if args.max_faces is not None and args.max_faces < 0:
        raise UserError("--max-faces must be >= 0 (0 = no limit)")
    det = _detector(args)
    max_faces = None if args.max_faces == 0 else (args.max_faces or 1)
    tracker = det.tracker(max_faces=max_faces)
    out, close = _open_output(args.output)
    writer_video = None
    show_progress = sys.stderr.isatty() and not args.quiet
    start = time.perf_counter()
    try:
        csv = CsvWriter(out, sequence=True, n_modes=det._core.n_modes)
        n = 0
        for n, frame in enumerate(source, start=1):
            faces = tracker.update(frame)
            ts = source.timestamp(n - 1)
            if max_faces == 1:
                csv.write_frame(n, ts, faces[0] if faces else None, 0)
            else:
                for f in faces:
                    csv.write_frame(n, ts, f, f.face_id or 0)
            if args.draw:
                if writer_video is None:
                    h, w = frame.shape[:2]
                    fps = source.fps if source.fps > 0 else 30.0
                    writer_video = cv2.VideoWriter(
                        args.draw, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h)
                    )
                    if not writer_video.isOpened():
                        raise UserError(f"cannot write video {args.draw}")
                writer_video.write(draw_faces(frame, faces))
            if show_progress and (n % 10 == 0):
                _progress(n, source.frame_count, start)
        if n == 0:
            raise UserError(f"no frames could be read from {args.video}")
        if show_progress:
            _progress(n, n, start)
            sys.stderr.write("\n")
    finally:
        if writer_video is not None:
            writer_video.release()
        if close:
            out.close()
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from .download import DownloadError, LicenseNotAcceptedError, download_models, import_models
    from .models import find_model_dir, verify

    if args.action == "download":
        try:
            root = download_models(
                args.set or ["clnf"],
                args.dir,
                accept_license=args.accept_license,
                mirrors=args.mirror or (),
            )
        except (DownloadError, LicenseNotAcceptedError, ValueError) as e:
            raise UserError(str(e)) from e
        print(verify(root, check_hash=False))
        return 0
    if args.action == "import":
        if not args.path:
            raise UserError("models import needs the path of an OpenFace checkout or model folder")
        try:
            root, copied, rejected = import_models(args.path, args.dir)
        except FileNotFoundError as e:
            raise UserError(str(e)) from e
        print(f"copied {len(copied)} file(s) into {root}")
        for p in rejected:
            print(f"  not copied (does not match OpenFace 2.2's SHA-256): {p}")
        print(verify(root, check_hash=False))
        return 0
    root = find_model_dir(args.dir or args.model_dir)
    if args.action == "where":
        report = verify(root, check_hash=False)
        print(root)
        for name, ok in report.sets.items():
            print(f"  {name:10s} {'complete' if ok else 'incomplete'}")
        return 0
    report = verify(root, check_hash=True)
    print(report)
    bad = report.problems
    return 1 if bad else 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="pyfacelm", description="OpenFace's facial landmark detector, in-process."
    )
    ap.add_argument("--version", action="version", version=f"pyfacelm {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    def model_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--model",
            default="clnf",
            help="clnf (default), clm, ceclm, clnf_wild, clm_wild, or a main_*.txt path",
        )
        p.add_argument("--model-dir", default=None, help="folder of OpenFace's model files")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")

    p = sub.add_parser("image", help="detect and fit every face in images; one CSV row per face")
    p.add_argument("images", nargs="+", metavar="IMG")
    p.add_argument("-o", "--output", default=None, help="CSV file (default: standard output)")
    p.add_argument("--draw", metavar="DIR", default=None, help="write annotated PNGs into DIR")
    p.add_argument(
        "--min-face", type=float, default=60, help="smallest face to detect, pixels (60)"
    )
    p.add_argument(
        "--multi-view", action="store_true", help="try 11 head rotations per face (slower)"
    )
    model_args(p)
    p.set_defaults(func=cmd_image)

    p = sub.add_parser("video", help="track faces through a video file or an image folder")
    p.add_argument("video", metavar="VIDEO_OR_FOLDER")
    p.add_argument("-o", "--output", default=None, help="CSV file (default: standard output)")
    p.add_argument("--draw", metavar="OUT.mp4", default=None, help="write an annotated MP4")
    p.add_argument(
        "--max-faces",
        type=int,
        default=None,
        help="faces to track: 1 (default), N, or 0 for no limit",
    )
    model_args(p)
    p.set_defaults(func=cmd_video)

    p = sub.add_parser("models", help="find, verify, download or import OpenFace's model files")
    p.add_argument("action", choices=["where", "verify", "download", "import"])
    p.add_argument("path", nargs="?", help="import: an OpenFace checkout or model folder")
    p.add_argument(
        "--set",
        action="append",
        choices=["clnf", "clnf_wild", "clm", "clm_wild", "ceclm", "mtcnn", "all"],
        help="download: model set(s) to get (default clnf); repeatable",
    )
    p.add_argument(
        "--dir", default=None, help="model folder to use or fill (default: the user cache folder)"
    )
    p.add_argument(
        "--accept-license",
        action="store_true",
        help="accept OpenFace's model licence (shown on request)",
    )
    p.add_argument(
        "--mirror",
        action="append",
        help="download: base URL of a copy of the model folder, tried first",
    )
    p.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_models)

    from .batch_cli import add_batch_parser

    add_batch_parser(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (UserError, ModelNotFoundError, ModelFormatError, ImportError) as e:
        print(f"pyfacelm: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pyfacelm: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
