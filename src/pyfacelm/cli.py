"""Command line: ``pyfacelm image|video|models`` (also ``python -m pyfacelm``), and OpenFace's
``pyfacelm FeatureExtraction|FaceLandmarkImg`` with OpenFace's flags (openface_compat).

Every problem is reported as one line on stderr (``pyfacelm: error: ...``), never a traceback.
Exit codes:

* 0 - success.
* 1 - an input could not be read or decoded (image mode reports each one, processes the rest
  and then exits 1 saying how many failed), missing model files, an output that cannot be
  written, or a download that failed.
* 2 - bad arguments (unknown option, ``--min-face 0``, ``--draw`` naming a file where a folder
  is needed, ...).
* 130 - interrupted (Ctrl-C); what was processed until then is in the CSV.
* 141 - the reader of standard output went away (``pyfacelm ... | head``): stop quietly.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import ModelFormatError, ModelNotFoundError
from .models import model_sets

if TYPE_CHECKING:
    import numpy as np

    from .action_units import AUAnalyser
    from .console import Progress
    from .detector import CLNFDetector

__all__ = ["EXIT_BAD_ARGS", "EXIT_BROKEN_PIPE", "EXIT_FAILED", "EXIT_INTERRUPTED", "main"]

EXIT_FAILED = 1
EXIT_BAD_ARGS = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program ended by SIGPIPE


class UserError(Exception):
    """A problem with the user's input, reported in one line with exit code 1."""

    exit_code = EXIT_FAILED


class ArgumentError(UserError):
    """An argument value that cannot work, found after parsing: exit code 2."""

    exit_code = EXIT_BAD_ARGS


class Interrupted(Exception):
    """Ctrl-C, with what was written until then."""


# -- argument types: bad values are argument errors (exit 2), found before any work is done --


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of pixels, got {text}")
    return v


def _min_face(text: str) -> float:
    v = _positive_float(text)
    if v < 12:  # MTCNN's smallest window: a smaller face would need the image enlarged
        raise argparse.ArgumentTypeError(f"must be at least 12 pixels, got {text}")
    return v


def _max_faces(text: str) -> int | None:
    """``--max-faces``: a positive number, or 'all' for no limit (the API's ``None``)."""
    if text.strip().lower() in ("all", "none"):
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive number of faces or 'all' (no limit), got {text!r}"
        )
    return n


def _detector(args: argparse.Namespace) -> CLNFDetector:
    from .detector import MODELS, CLNFDetector
    from .models import search_model_dir
    from .parameters import FitParameters

    if args.model in MODELS:  # say it in the command line's words (--model-dir, not model_dir=)
        search = search_model_dir(args.model_dir)
        if search.found is None:
            raise UserError(search.message("--model-dir DIR"))
    try:
        params = FitParameters.wild(args.model) if args.wild else None
        return CLNFDetector(args.model, args.model_dir, params=params)
    except ValueError as e:  # ModelFormatError, an unknown model name
        raise UserError(str(e)) from e


def _analyser(args: argparse.Namespace) -> AUAnalyser | None:
    """The AU analyser for ``--aus``, else None."""
    if not args.aus:
        return None
    from .action_units import AUAnalyser

    try:
        return AUAnalyser(args.model_dir)
    except ValueError as e:  # ModelFormatError
        raise UserError(str(e)) from e


def _au_names(aus: AUAnalyser | None) -> tuple[list[str], list[str]] | None:
    return None if aus is None else (aus.intensity_names, aus.presence_names)


def _open_output(path: str | None) -> tuple[TextIO, bool]:
    if path is None or path == "-":
        return sys.stdout, False
    if Path(path).is_dir():
        raise ArgumentError(f"-o {path}: is a folder; -o takes a CSV file name")
    try:
        return open(path, "w", encoding="utf-8", newline=""), True
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror or e}") from e


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


_VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv", ".wmv", ".webm", ".mpg", ".mpeg", ".m4v")


def _read_image_quietly(path: str, progress: Progress) -> np.ndarray | OSError:
    """The image (or an OSError) with the decoders' own stderr chatter turned into a warning."""
    from .console import captured_native_stderr
    from .video import read_image

    img: np.ndarray | OSError
    with captured_native_stderr() as native:
        try:
            img = read_image(path)
        except OSError as e:
            img = e
    lines = [s for s in native.text.splitlines() if s.strip() and "iCCP" not in s]
    if lines and not isinstance(img, OSError):
        # e.g. libjpeg's "Premature end of JPEG file": decoded, but not all of it.
        progress.warn(f"{path}: {lines[0].strip()} (used what could be decoded)")
    return img


def cmd_image(args: argparse.Namespace) -> int:
    from .console import Progress
    from .csv_output import CsvWriter
    from .drawing import draw_faces, drawing_names
    from .inputs import expand_image_args, read_list_file
    from .video import require_cv2

    names = list(args.images)
    if args.list is not None:
        try:
            names += read_list_file(args.list)
        except OSError as e:
            raise UserError(f"cannot read --list {args.list}: {e.strerror or e}") from e
    if not names:
        raise ArgumentError("no images given: name files, folders or patterns, or use --list")
    draw_dir = Path(args.draw) if args.draw else None
    if draw_dir is not None and draw_dir.exists() and not draw_dir.is_dir():
        raise ArgumentError(f"--draw {args.draw}: is a file; --draw takes a folder")
    inputs = expand_image_args(names, recursive=args.recursive)
    progress = Progress("images", len(inputs.files), enabled=_show_progress(args))
    for problem in inputs.problems:
        progress.warn(problem)
    failed = len(inputs.problems)
    cv2 = require_cv2()
    det = _detector(args)
    aus = _analyser(args)
    if draw_dir is not None:
        try:
            draw_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create --draw folder {draw_dir}: {e.strerror or e}") from e
    drawn = drawing_names(inputs.files) if draw_dir is not None else []
    out, close = _open_output(args.output)
    completed = 0
    try:
        writer = CsvWriter(
            out, sequence=False, n_modes=det.n_modes, sep=args.sep, au_names=_au_names(aus)
        )
        for done, path in enumerate(inputs.files, start=1):
            img = _read_image_quietly(path, progress)
            if isinstance(img, OSError):
                video = Path(path).suffix.lower() in _VIDEO_SUFFIXES
                progress.warn(str(img) + (" (a video? use `pyfacelm video`)" if video else ""))
                failed += 1
                completed = done
                progress.update(done)
                continue
            try:
                faces = det.detect(img, min_face=args.min_face, multi_view=args.multi_view or None)
            except (TypeError, ValueError) as e:
                progress.warn(f"{path}: {e}")
                failed += 1
                completed = done
                progress.update(done)
                continue
            for i, face in enumerate(faces):
                units = None if aus is None else aus.static(img, face)
                writer.write_image_face(path, i, face, units)
            if not faces:
                writer.write_image_face(path, 0, None)
            if close:
                writer.flush()  # rows as they come: a file being watched, or a run cut short
            if draw_dir is not None:
                target = draw_dir / drawn[done - 1]
                if not cv2.imwrite(str(target), draw_faces(img, faces)):
                    raise UserError(f"cannot write {target}")
            del img
            completed = done
            progress.update(done)
    except KeyboardInterrupt:
        where = f"; {args.output} holds their rows" if close else ""
        raise Interrupted(
            f"interrupted after {completed} of {len(inputs.files)} images{where}"
        ) from None
    finally:
        progress.close()
        if close:
            out.close()
    if failed:
        total = len(inputs.files) + len(inputs.problems)
        raise UserError(f"{failed} of {total} inputs failed (see the warnings above)")
    return 0


def cmd_video(args: argparse.Namespace) -> int:
    from .console import Progress
    from .csv_output import CsvWriter, append_au_block
    from .drawing import draw_faces, open_video_writer
    from .video import FrameSizeError, open_video

    if args.draw and Path(args.draw).is_dir():
        raise ArgumentError(f"--draw {args.draw}: is a folder; --draw takes a video file name")
    try:
        source = open_video(args.video)
    except OSError as e:
        raise UserError(str(e)) from e
    det = _detector(args)
    max_faces = args.max_faces
    if args.aus and max_faces != 1:
        source.close()
        raise ArgumentError("--aus tracks one face: use it with --max-faces 1 (the default)")
    aus = _analyser(args)
    stream = None if aus is None else aus.sequence()
    tracker = det.tracker(max_faces=max_faces, fps=source.fps if source.fps > 0 else None)
    out, close = _open_output(args.output)
    # AU values are final only when the video ends (post-processing): the rows wait in a
    # temporary file and are written with their AU columns at the end.
    rows: TextIO = out if stream is None else tempfile.TemporaryFile("w+", encoding="utf-8")
    writer_video = None
    progress = Progress("frames", source.frame_count, enabled=_show_progress(args))
    n = written = 0  # frames read; frames whose rows are in the CSV
    try:
        csv = CsvWriter(
            rows,
            sequence=True,
            n_modes=det.n_modes,
            sep=args.sep,
            au_names=_au_names(aus),
            aus_later=True,
        )
        frames = iter(source)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except (FrameSizeError, OSError) as e:
                raise UserError(str(e)) from e
            n += 1
            try:
                faces = tracker.update(frame)
            except ValueError as e:  # a size change the source did not catch, bad frame
                raise UserError(f"{source.name}: frame {n}: {e}") from e
            ts = source.timestamp(n - 1)
            if max_faces == 1:
                csv.write_frame(n, ts, faces[0] if faces else None, 0)
                if stream is not None:
                    stream.add(frame, faces[0] if faces else None)
            else:
                for f in faces:
                    csv.write_frame(n, ts, f, f.face_id or 0)
            written = n
            if args.draw:
                if writer_video is None:
                    h, w = frame.shape[:2]
                    fps = source.fps if source.fps > 0 else 30.0
                    try:
                        writer_video, codec = open_video_writer(args.draw, fps, (w, h))
                    except OSError as e:
                        raise UserError(str(e)) from e
                    if codec != "H.264" and not args.quiet:
                        progress.warn(_codec_note(args.draw, codec))
                writer_video.write(draw_faces(frame, faces))
            progress.update(n)
        if n == 0:
            raise UserError(f"no frames could be read from {args.video}")
    except KeyboardInterrupt:
        where = f"; {args.output} holds their rows" if close else ""
        raise Interrupted(f"interrupted after {written} frames{where}") from None
    finally:
        progress.close()
        source.close()
        if writer_video is not None:
            writer_video.release()
        if stream is not None:
            try:  # also after Ctrl-C: the frames so far, post-processed
                rows.seek(0)
                append_au_block(rows, out, stream.finish(), args.sep)
            finally:
                rows.close()
        if close:
            out.close()
    return 0


def _codec_note(path: str, codec: str) -> str:
    return (
        f"{path} is encoded with {codec}: the installed OpenCV has no H.264 encoder, and some "
        f"browsers and players do not play {codec} (re-encode it, e.g. with ffmpeg -i {path} "
        "-c:v libx264 out_h264.mp4)"
    )


def cmd_models(args: argparse.Namespace) -> int:
    from .download import (
        ACCEPT_ENV,
        LICENSE_SUMMARY,
        DownloadError,
        LicenseNotAcceptedError,
        download_models,
        import_models,
    )
    from .models import search_model_dir, verify

    if args.action == "license":
        print(LICENSE_SUMMARY)
        return 0
    if args.action == "download":
        try:
            root = download_models(
                args.set or ["clnf"],
                args.model_dir,
                accept_license=args.accept_license,
                mirrors=args.mirror or (),
                use_official=not args.mirror_only,
            )
        except LicenseNotAcceptedError as e:
            raise UserError(
                "OpenFace's model licence was not accepted: read it (pyfacelm models license), "
                f"then pass --accept-license or set {ACCEPT_ENV}=1"
            ) from e
        except DownloadError as e:
            hint = (
                " - offline? Try --mirror URL (a reachable copy of the model folder) or "
                "`pyfacelm models import /path/to/OpenFace`"
                if e.unreachable
                else ""
            )
            raise UserError(e.detail + hint) from e
        except ValueError as e:
            raise UserError(str(e)) from e
        print(verify(root, check_hash=False))
        return 0
    if args.action == "import":
        if not args.path:
            raise ArgumentError("models import needs the path of an OpenFace checkout or folder")
        try:
            root, copied, rejected = import_models(args.path, args.model_dir)
        except FileNotFoundError as e:
            raise UserError(str(e)) from e
        except OSError as e:
            where = args.model_dir or "the cache folder"
            raise UserError(f"cannot import into {where}: {e}") from e
        print(f"copied {len(copied)} file(s) into {root}")
        for p in rejected:
            print(f"  not copied (does not match OpenFace 2.2's SHA-256): {p}")
        print(verify(root, check_hash=False))
        return 0
    search = search_model_dir(args.model_dir)
    if search.found is None:
        if args.action == "verify":
            raise UserError(search.message("--model-dir DIR"))
        print("no OpenFace model files found")
        for place in search.tried:
            print(f"  looked in {place}")
        print("  get them: pyfacelm models download  (or: pyfacelm models import OPENFACE_DIR)")
        return 0
    report = verify(search.found, check_hash=args.action == "verify")
    print(report)
    return EXIT_FAILED if report.problems else 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="pyfacelm",
        description="OpenFace's facial landmark detector, in-process.",
        epilog="Exit codes: 0 ok, 1 an input failed / missing models / cannot write, "
        "2 bad arguments, 130 interrupted, 141 output pipe closed.",
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
        p.add_argument(
            "--wild",
            action="store_true",
            help="OpenFace's -wild parameters (wider search, NU weighting, multi-view; slower); "
            "without it every model, clnf_wild and clm_wild included, fits with the defaults",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
        p.add_argument(
            "--aus",
            action="store_true",
            help="add the action-unit columns AUxx_r, AUxx_c (needs the 'au' model set; "
            "video: FeatureExtraction's post-processed values, written when the video ends)",
        )

    def csv_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("-o", "--output", default=None, help="CSV file (default: standard output)")
        p.add_argument(
            "--sep",
            default=",",
            choices=[",", ", "],
            help="field separator: ',' (default, as OpenFace 2.2) or ', ' (older OpenFace)",
        )

    p = sub.add_parser(
        "image",
        help="detect and fit every face in images; one CSV row per face",
        description="Images are read and fitted one at a time; an unreadable one is reported "
        "and skipped (exit code 1 at the end). An image without a face gets a row with success 0.",
    )
    p.add_argument(
        "images", nargs="*", metavar="IMAGE", help="image files, folders or patterns (*.jpg)"
    )
    p.add_argument("--list", metavar="FILE", help="a text file of images, one per line (- = stdin)")
    p.add_argument("-r", "--recursive", action="store_true", help="also search sub-folders")
    csv_args(p)
    p.add_argument("--draw", metavar="DIR", default=None, help="write annotated PNGs into DIR")
    p.add_argument(
        "--min-face",
        type=_min_face,
        default=60,
        help="smallest face to detect, pixels (60)",
    )
    p.add_argument(
        "--multi-view", action="store_true", help="try 11 head rotations per face (slower)"
    )
    model_args(p)
    p.set_defaults(func=cmd_image)

    p = sub.add_parser(
        "video",
        help="track faces through a video, image sequence folder, camera or stream",
        description="VIDEO is a video file, a folder of same-size images (a sequence), a camera "
        "index such as 0, or a URL OpenCV can open. Ctrl-C stops and keeps the CSV so far.",
    )
    p.add_argument("video", metavar="VIDEO")
    csv_args(p)
    p.add_argument(
        "--draw",
        metavar="OUT.mp4",
        default=None,
        help="write an annotated video (H.264 if possible)",
    )
    p.add_argument(
        "--max-faces",
        type=_max_faces,
        default=1,
        metavar="N|all",
        help="faces to track: 1 (default), N, or 'all' for no limit (the API's max_faces=None)",
    )
    model_args(p)
    p.set_defaults(func=cmd_video)

    p = sub.add_parser("models", help="find, verify, download or import OpenFace's model files")
    p.add_argument("action", choices=["where", "verify", "download", "import", "license"])
    p.add_argument("path", nargs="?", help="import: an OpenFace checkout or model folder")
    p.add_argument(
        "--set",
        action="append",
        choices=[*model_sets(), "all"],
        help="download: model set(s) to get (default clnf); repeatable",
    )
    p.add_argument(
        "--model-dir",
        "--dir",
        dest="model_dir",
        default=None,
        help="model folder to use or fill (default: the user cache folder); --dir is an alias",
    )
    p.add_argument(
        "--accept-license",
        action="store_true",
        help="accept OpenFace's model licence (pyfacelm models license shows it)",
    )
    p.add_argument(
        "--mirror",
        action="append",
        help="download: base URL of a copy of the model folder, tried first",
    )
    p.add_argument(
        "--mirror-only",
        action="store_true",
        help="download: use only the --mirror URLs, not OpenFace's own",
    )
    p.set_defaults(func=cmd_models)

    # OpenFace's commands with OpenFace's single-dash flags; main() hands them to openface_compat.
    for name in ("FeatureExtraction", "FaceLandmarkImg"):
        sub.add_parser(name, help=f"OpenFace's {name} flags and output files", add_help=False)
    from .batch_cli import add_batch_parser

    add_batch_parser(sub)
    return ap


def _stdout_gone() -> int:
    # Python would report the failed flush of stdout at exit: point stdout at nothing first.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in ("FeatureExtraction", "FaceLandmarkImg"):
        from .openface_compat import main as openface_main

        return openface_main(words[0], words[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        return _stdout_gone()
    except UserError as e:
        print(f"pyfacelm: error: {e}", file=sys.stderr)
        return e.exit_code
    except (ModelNotFoundError, ModelFormatError, ImportError) as e:
        print(f"pyfacelm: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    except (Interrupted, KeyboardInterrupt) as e:
        print(f"pyfacelm: {str(e) or 'interrupted'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError as e:  # the input needs more memory than the machine (or limit) gives
        print(f"pyfacelm: error: {str(e) or 'out of memory'}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as e:  # a bug: still one line, but say so and how to see more
        if os.environ.get("PYFACELM_DEBUG"):
            raise
        print(
            f"pyfacelm: internal error: {type(e).__name__}: {e} (please report it; "
            "PYFACELM_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
