"""OpenFace's command-line flags for ``pyfacelm FeatureExtraction`` / ``FaceLandmarkImg``.

OpenFace spells its flags with one dash and several letters (``-out_dir``, ``-2Dfp``); argparse
alone would read an unknown ``-fxyz`` as ``-f xyz``, so every word is first checked against the
command's own flag table and an unknown flag is named in a one-line error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["BLOCK_FLAGS", "COMMANDS", "FILE_FLAGS", "UsageError", "build_parser", "parse"]

#: The OpenFace executables whose command lines pyfacelm accepts.
COMMANDS = ("FeatureExtraction", "FaceLandmarkImg")

# Flags and the number of values each takes, per command (OpenFace's spelling).
_COMMON_FLAGS: dict[str, int] = {
    "-f": 1,
    "-fdir": 1,
    "-out_dir": 1,
    "-of": 1,
    "-2Dfp": 0,
    "-3Dfp": 0,
    "-pdmparams": 0,
    "-pose": 0,
    "-gaze": 0,
    "-aus": 0,
    "-simalign": 0,
    "-hogalign": 0,
    "-tracked": 0,
    "-fx": 1,
    "-fy": 1,
    "-cx": 1,
    "-cy": 1,
    "-mloc": 1,
    "-wild": 0,
    "-multi_view": 1,
    "-q": 0,
    # pyfacelm's own options (double dash, so they cannot clash with OpenFace's).
    "--sep": 1,
    "--model-dir": 1,
    "-h": 0,
    "-help": 0,
    "--help": 0,
}
_FLAGS: dict[str, dict[str, int]] = {
    "FeatureExtraction": {**_COMMON_FLAGS, "-device": 1, "-au_static": 0},
    "FaceLandmarkImg": dict(_COMMON_FLAGS),
}
#: Output flag (argparse destination) -> csv_output block.
BLOCK_FLAGS = {
    "gaze": "gaze",
    "pose": "pose",
    "fp2d": "2Dfp",
    "fp3d": "3Dfp",
    "pdmparams": "pdmparams",
    "aus": "aus",
}
#: Output flags that write files of their own (not CSV blocks): argparse destinations.
FILE_FLAGS = ("simalign", "hogalign", "tracked")
_SEPARATORS = (",", ", ")


class UsageError(Exception):
    """A bad command line, reported in one line (exit code 2)."""


class _ArgError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line instead of usage + exit
        raise _ArgError(message)


def build_parser(command: str) -> argparse.ArgumentParser:
    ap = _Parser(
        prog=f"pyfacelm {command}",
        add_help=False,
        allow_abbrev=False,
        description=f"OpenFace's {command} command line, run by pyfacelm.",
    )
    ap.add_argument("-h", "-help", "--help", action="store_true", dest="help")
    ap.add_argument("-f", action="append", default=[], dest="files", help="input file (repeatable)")
    ap.add_argument(
        "-fdir", action="append", default=[], dest="dirs", help="input folder of images"
    )
    if command == "FeatureExtraction":
        ap.add_argument("-device", type=int, default=None, help="camera device number")
    ap.add_argument("-out_dir", default="processed", help="output folder (default: processed)")
    ap.add_argument("-of", action="append", default=[], dest="names", help="output name per input")
    ap.add_argument("-2Dfp", action="store_true", dest="fp2d", help="2D landmarks")
    ap.add_argument("-3Dfp", action="store_true", dest="fp3d", help="3D landmarks")
    ap.add_argument("-pdmparams", action="store_true", help="shape model parameters")
    ap.add_argument("-pose", action="store_true", help="head pose")
    ap.add_argument("-gaze", action="store_true", help="gaze and eye landmarks")
    ap.add_argument("-aus", action="store_true", help="action units (AUxx_r, AUxx_c columns)")
    if command == "FeatureExtraction":
        ap.add_argument(
            "-au_static", action="store_true", help="static AU models (no person normalisation)"
        )
    ap.add_argument(
        "-simalign", action="store_true", help="aligned faces: <out_dir>/<name>_aligned/*.bmp"
    )
    ap.add_argument("-hogalign", action="store_true", help="HOG features: <out_dir>/<name>.hog")
    ap.add_argument("-tracked", action="store_true", help="annotated video / image")
    for k in ("fx", "fy", "cx", "cy"):
        ap.add_argument(f"-{k}", type=float, default=None, help="camera intrinsics, pixels")
    ap.add_argument("-mloc", default=None, help="landmark model main_*.txt (default CLNF)")
    ap.add_argument(
        "-wild", action="store_true", help="in-the-wild fitting parameters (slower, more robust)"
    )
    ap.add_argument(
        "-multi_view", type=int, default=0, choices=[0, 1], help="11 rotation hypotheses"
    )
    ap.add_argument("-q", action="store_true", dest="quiet", help="quiet")
    ap.add_argument(
        "--sep", default=",", help="CSV separator: ',' (OpenFace 2.2.0) or ', ' (earlier)"
    )
    ap.add_argument("--model-dir", default=None, help="folder of OpenFace's model files")
    return ap


def _check_tokens(command: str, argv: Sequence[str]) -> None:
    """Name the first flag OpenFace's command does not have (argparse would read ``-fxyz`` as
    ``-f xyz``), and any stray word."""
    flags = _FLAGS[command]
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok not in flags:
            if tok.startswith("-"):
                raise UsageError(
                    f"unknown flag {tok} (not an OpenFace {command} flag pyfacelm supports)"
                )
            raise UsageError(f"unexpected argument {tok!r} (inputs are given with -f or -fdir)")
        if flags[tok] and i + 1 >= len(argv):
            raise UsageError(f"flag {tok} needs a value")
        i += 1 + flags[tok]


def parse(command: str, argv: Sequence[str]) -> argparse.Namespace:
    """OpenFace's flags for `command` -> options; UsageError with a one-line reason."""
    _check_tokens(command, argv)
    ap = build_parser(command)
    try:
        args = ap.parse_args(list(argv))
    except _ArgError as e:
        raise UsageError(str(e)) from e
    if args.help:
        return args
    if args.sep not in _SEPARATORS:
        raise UsageError(
            f"--sep must be ',' (OpenFace 2.2.0) or ', ' (earlier 2.x), got {args.sep!r}"
        )
    n_inputs = len(args.files) + len(args.dirs) + (getattr(args, "device", None) is not None)
    if n_inputs == 0:
        raise UsageError(
            "no input: give -f FILE"
            + (", -fdir DIR or -device N" if command == "FeatureExtraction" else " or -fdir DIR")
        )
    # (FaceLandmarkImg counts the images of a folder: checked once they are listed.)
    if command == "FeatureExtraction" and args.names and len(args.names) != n_inputs:
        raise UsageError(
            f"-of given {len(args.names)} time(s) for {n_inputs} input(s); give one per input"
        )
    return args
