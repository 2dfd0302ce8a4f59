"""Turning the user's inputs (files, folders, globs) into jobs: one job, one output file.

Rules (``kind="auto"``): a file with an image extension is an image; any other file is a video;
a folder is walked, and every folder in it that directly holds images is one image sequence
(OpenFace's ``-fdir``: tracked as a video), every file with a video extension one video. With
``kind="video"`` every file is decoded as a video; with ``kind="images"`` image folders and image
files are processed as independent images (OpenFace's FaceLandmarkImg; one row per face).

Output names keep each input's path relative to the deepest folder holding all inputs (a folder
argument counts as holding its own contents), with the input's full file name, so that
``a/x.avi``, ``b/x.avi`` and ``a/x.mp4`` never collide.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..video import IMAGE_EXTENSIONS

__all__ = ["KINDS", "VIDEO_EXTENSIONS", "Job", "Problem", "expand", "fingerprint", "image_files"]

#: Accepted values of ``kind``.
KINDS = ("auto", "video", "images")

#: Files a folder walk treats as videos (any file given by name is tried whatever its extension).
VIDEO_EXTENSIONS = (
    ".avi", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".wmv", ".mpg", ".mpeg", ".flv", ".3gp",
    ".ts", ".mts", ".ogv",
)  # fmt: skip


@dataclass(frozen=True)
class Job:
    """One unit of work: an input and the name of its output.

    Attributes:
        source: absolute path of a video file, an image file or a folder of images.
        mode: ``"video"`` (a video file or an image sequence, tracked frame to frame) or
            ``"images"`` (independent images, every face detected in each).
        name: the output's path relative to the output folder, without the format's extension
            (``/``-separated).
    """

    source: str
    mode: str
    name: str


@dataclass(frozen=True)
class Problem:
    """An input argument that yields no job (missing path, empty glob or folder)."""

    source: str
    error: str


def image_files(folder: Path) -> list[Path]:
    """The images of a folder in name order (the frames of a sequence, as ``open_video``)."""
    return sorted(
        f for f in folder.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file()
    )


def _walk(folder: Path, kind: str) -> Iterator[tuple[Path, str]]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        d = Path(dirpath)
        if any(Path(f).suffix.lower() in IMAGE_EXTENSIONS for f in filenames):
            yield d, "images" if kind == "images" else "video"
        if kind != "images":
            for f in sorted(filenames):
                if Path(f).suffix.lower() in VIDEO_EXTENSIONS:
                    yield d / f, "video"


def _file_mode(path: Path, kind: str) -> str:
    if kind == "video":
        return "video"
    return "images" if path.suffix.lower() in IMAGE_EXTENSIONS else "video"


def expand(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], kind: str = "auto"
) -> tuple[list[Job], list[Problem]]:
    """The jobs for ``inputs`` (paths or glob patterns), in argument order, without duplicates.

    Raises:
        ValueError: unknown ``kind``, or two inputs would write the same output.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    found: list[tuple[Path, str, Path]] = []  # (path, mode, folder its name is relative to)
    problems: list[Problem] = []
    for item in items:
        arg = os.fspath(item)
        if os.path.exists(arg) or not glob.has_magic(arg):
            paths = [arg]
        else:
            paths = sorted(glob.glob(arg, recursive=True))
            if not paths:
                problems.append(Problem(arg, "no file or folder matches this pattern"))
        for p in paths:
            path = Path(os.path.abspath(p))
            if path.is_dir():
                entries = list(_walk(path, kind))
                if not entries:
                    problems.append(Problem(str(path), "folder holds no videos or images"))
                found += [(e, mode, path) for e, mode in entries]
            elif path.is_file():
                found.append((path, _file_mode(path, kind), path.parent))
            else:
                problems.append(Problem(str(path), "no such file or folder"))
    if not found:
        return [], problems
    try:
        base = os.path.commonpath([str(root) for _, _, root in found])
    except ValueError:  # different drives (Windows): keep each input's full path
        base = ""
    jobs: list[Job] = []
    seen: dict[str, str] = {}
    for path, mode, _ in found:
        rel = os.path.relpath(path, base) if base else str(path).replace(":", "")
        name = path.name if rel == os.curdir else Path(rel).as_posix()
        if name in seen:
            if seen[name] == str(path):
                continue  # the same input given twice
            raise ValueError(f"inputs {seen[name]} and {path} would both write output {name!r}")
        seen[name] = str(path)
        jobs.append(Job(str(path), mode, name))
    return jobs, problems


def fingerprint(job: Job) -> dict[str, int]:
    """What identifies an input's current content cheaply: size and modification time (for a
    folder, of its images, and their number)."""
    p = Path(job.source)
    if p.is_dir():
        files = image_files(p)
        stats = [f.stat() for f in files]
        return {
            "input_size": sum(s.st_size for s in stats),
            "input_mtime_ns": max([p.stat().st_mtime_ns] + [s.st_mtime_ns for s in stats]),
            "input_files": len(files),
        }
    s = p.stat()
    return {"input_size": s.st_size, "input_mtime_ns": s.st_mtime_ns, "input_files": 1}
