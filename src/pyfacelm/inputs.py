"""Turning the command line's image arguments into a list of image files.

An argument may be an image file, a folder (its images; with ``recursive`` also those of its
sub-folders), or a glob pattern such as ``photos/*.jpg`` or ``photos/**/*.png`` (expanded here,
because Windows shells do not expand them). A list file holds one such argument per line (blank
lines and lines starting with ``#`` are skipped; ``-`` reads the list from standard input).
"""

from __future__ import annotations

import glob
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .video import IMAGE_EXTENSIONS

__all__ = ["ImageInputs", "expand_image_args", "read_list_file"]

_GLOB_CHARS = set("*?[")


@dataclass
class ImageInputs:
    """The image files found (in order) and one message per argument that gave none."""

    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _folder_images(folder: Path, recursive: bool) -> list[str]:
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(str(p) for p in found if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def expand_image_args(args: Iterable[str], *, recursive: bool = False) -> ImageInputs:
    """Expand files, folders and glob patterns into image files (see the module docstring).

    A folder contributes its files ending in .jpg, .jpeg, .png or .bmp (any case), sorted by
    path; a file given by name is used whatever its extension. Nothing is read here.
    """
    out = ImageInputs()
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            files = _folder_images(p, recursive)
            if files:
                out.files += files
            else:
                deep = "" if recursive else " (sub-folders are searched with --recursive)"
                out.problems.append(
                    f"folder {arg} contains no images ({', '.join(IMAGE_EXTENSIONS)}){deep}"
                )
        elif p.exists():
            out.files.append(arg)
        elif _GLOB_CHARS & set(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            files = []
            for m in matches:
                if Path(m).is_dir():
                    files += _folder_images(Path(m), recursive)
                else:
                    files.append(m)
            if files:
                out.files += files
            else:
                out.problems.append(f"no file matches {arg}")
        else:
            out.problems.append(f"no such file or folder: {arg}")
    return out


def read_list_file(path: str) -> list[str]:
    """The entries of a list file (``-``: standard input), one per line.

    Raises:
        OSError: the file cannot be read.
    """
    if path == "-":
        lines = sys.stdin.read().splitlines()
    else:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    return [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")]
