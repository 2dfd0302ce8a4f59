"""Finding and checking OpenFace's model files.

The model files are OpenFace's (academic, non-commercial licence; they may not be
redistributed), so pyfacelm never ships them. They are looked for, in order, in:

1. the ``model_dir`` argument,
2. the ``PYFACELM_MODEL_DIR`` environment variable,
3. the user cache folder (``~/.cache/pyfacelm/openface-2.2/model`` on Linux,
   ``~/Library/Caches/pyfacelm/openface-2.2/model`` on macOS,
   ``%LOCALAPPDATA%\\pyfacelm\\Cache\\openface-2.2\\model`` on Windows).

A model folder is laid out like OpenFace's ``lib/local/LandmarkDetector/model``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ModelNotFoundError

__all__ = [
    "ENV_VAR",
    "FileStatus",
    "ModelSearch",
    "VerifyReport",
    "cache_dir",
    "find_model_dir",
    "manifest",
    "model_sets",
    "search_model_dir",
    "verify",
]

ENV_VAR = "PYFACELM_MODEL_DIR"

# Named in every "not found" message: the first error a new user meets must say how to get out.
_HOW_TO_GET = (
    "OpenFace's model files are not bundled (their licence forbids redistribution). Get them once "
    "with the command `pyfacelm models download` (OpenFace's official URLs, after showing the "
    "licence) or `pyfacelm models import /path/to/OpenFace` (copies them from an OpenFace "
    "checkout), which put them in {cache}; or point pyfacelm at an existing OpenFace model folder "
    f"(lib/local/LandmarkDetector/model) with {{option}} or the {ENV_VAR} environment variable."
)


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    """The manifest of OpenFace model files: path, size, SHA-256 and official URLs of each file,
    and the files each detector configuration ('sets') needs."""
    text = resources.files("pyfacelm").joinpath("data/models.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def model_sets() -> dict[str, list[str]]:
    """Model set name -> relative paths of the files it needs (clnf, clm, ceclm, mtcnn, ...)."""
    return {k: list(v) for k, v in manifest()["sets"].items()}


def cache_dir() -> Path:
    """The per-user folder where pyfacelm keeps downloaded model files."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        root = base / "pyfacelm" / "Cache"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "pyfacelm"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "pyfacelm"
    return root / "openface-2.2" / "model"


def _looks_like_model_dir(path: Path) -> str | None:
    """None if `path` is a usable model folder, else the reason it is not."""
    if not path.exists():
        return "does not exist"
    if not path.is_dir():
        return "is not a folder"
    if not any(path.glob("main_*.txt")):
        return "contains no main_*.txt model file"
    return None


@dataclass(frozen=True)
class ModelSearch:
    """Where :func:`search_model_dir` looked, and the model folder it found (or None)."""

    found: Path | None
    tried: tuple[str, ...]

    def how_to_get(self, option: str = "model_dir=...") -> str:
        """What to do when nothing was found: the commands that fetch the models. ``option`` is
        how the caller names an explicit folder (the command line says ``--model-dir DIR``)."""
        return _HOW_TO_GET.format(cache=cache_dir(), option=option)

    def message(self, option: str = "model_dir=...") -> str:
        """The "not found" message: where pyfacelm looked and how to get the models."""
        return (
            "OpenFace model files not found. Looked in: "
            + "; ".join(self.tried)
            + ". "
            + self.how_to_get(option)
        )


def search_model_dir(model_dir: str | os.PathLike[str] | None = None) -> ModelSearch:
    """Look for OpenFace's model files as :func:`find_model_dir` does, without raising.

    ``found`` is the first usable folder (None if there is none) and ``tried`` says, for every
    place looked at before it, why it was not usable.
    """
    tried: list[str] = []
    if model_dir is not None:
        p = Path(model_dir).expanduser()
        why = _looks_like_model_dir(p)
        if why is None:
            return ModelSearch(p.resolve(), ())
        return ModelSearch(None, (f"the given folder {str(p)!r} ({why})",))
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        why = _looks_like_model_dir(p)
        if why is None:
            return ModelSearch(p.resolve(), ())
        tried.append(f"${ENV_VAR}={str(p)!r} ({why})")
    else:
        tried.append(f"${ENV_VAR} (not set)")
    c = cache_dir()
    why = _looks_like_model_dir(c)
    if why is None:
        return ModelSearch(c.resolve(), tuple(tried))
    tried.append(f"{str(c)!r} ({why})")
    return ModelSearch(None, tuple(tried))


def find_model_dir(model_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder holding OpenFace's model files.

    Looks at ``model_dir``, then ``$PYFACELM_MODEL_DIR``, then :func:`cache_dir`, and returns the
    first folder that contains a ``main_*.txt`` file. An explicit ``model_dir`` that is not a
    model folder is an error (it is not silently replaced by another folder).

    Raises:
        ModelNotFoundError: no model folder was found; the message lists where pyfacelm looked
            and how to get the models (``pyfacelm models download`` or ``... import``).
    """
    search = search_model_dir(model_dir)
    if search.found is not None:
        return search.found
    if model_dir is not None:
        p = Path(model_dir).expanduser()
        raise ModelNotFoundError(
            f"model_dir {str(p)!r} {_looks_like_model_dir(p)}. " + search.how_to_get()
        )
    raise ModelNotFoundError(search.message())


@dataclass(frozen=True)
class FileStatus:
    """Result of checking one model file against the manifest."""

    path: str
    status: str  # "ok", "missing", "size mismatch" or "hash mismatch"
    expected_size: int
    actual_size: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found in a model folder."""

    model_dir: Path
    files: dict[str, FileStatus] = field(default_factory=dict)
    sets: dict[str, bool] = field(default_factory=dict)
    #: Whether SHA-256 was checked (else only sizes).
    hashed: bool = False

    @property
    def complete_sets(self) -> list[str]:
        return [name for name, ok in self.sets.items() if ok]

    @property
    def problems(self) -> list[FileStatus]:
        return [f for f in self.files.values() if f.status not in ("ok", "missing")]

    def missing_for(self, set_name: str) -> list[str]:
        """Files of a set that are missing or do not verify."""
        return [p for p in model_sets()[set_name] if not self.files[p].ok]

    def summary(self) -> str:
        """One line saying what was checked, e.g. ``57 files checked (size and SHA-256): OK``."""
        present = [f for f in self.files.values() if f.status != "missing"]
        how = "size and SHA-256" if self.hashed else "size only"
        bad = len(self.problems)
        verdict = "OK" if not bad else f"{bad} do not match OpenFace 2.2's files"
        missing = len(self.files) - len(present)
        tail = f"; {missing} of the manifest's {len(self.files)} not present" if missing else ""
        files = "1 file" if len(present) == 1 else f"{len(present)} files"
        return f"{files} checked ({how}): {verdict}{tail}"

    def __str__(self) -> str:
        lines = [f"model folder: {self.model_dir}", f"  {self.summary()}"]
        for name, ok in self.sets.items():
            if ok:
                lines.append(f"  {name:10s} complete")
                continue
            names = [
                p if self.files[p].status == "missing" else f"{p} ({self.files[p].status})"
                for p in self.missing_for(name)
            ]
            more = f" and {len(names) - 4} more" if len(names) > 4 else ""
            lines.append(f"  {name:10s} incomplete, missing: {', '.join(names[:4])}{more}")
        for f in self.problems:
            lines.append(f"  {f.path}: {f.status}")
        return "\n".join(lines)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(
    model_dir: str | os.PathLike[str] | None = None, *, check_hash: bool = True
) -> VerifyReport:
    """Check every manifest file in a model folder (size, then SHA-256) and say which model
    sets (clnf, clnf_wild, clm, clm_wild, ceclm, mtcnn, validator, eyes, inner) are complete.

    ``model_dir`` defaults to :func:`find_model_dir`'s answer; a given folder is checked as is
    (it may hold only some sets). ``check_hash=False`` only checks
    sizes (fast).
    """
    if model_dir is None:
        root = find_model_dir()
    else:
        root = Path(model_dir).expanduser()
        if not root.is_dir():
            raise ModelNotFoundError(f"model folder {str(root)!r} does not exist")
    files: dict[str, FileStatus] = {}
    for entry in manifest()["files"]:
        rel, size = entry["path"], int(entry["size"])
        p = root / rel
        if not p.is_file():
            files[rel] = FileStatus(rel, "missing", size)
            continue
        actual = p.stat().st_size
        if actual != size:
            files[rel] = FileStatus(rel, "size mismatch", size, actual)
        elif check_hash and _sha256(p) != entry["sha256"]:
            files[rel] = FileStatus(rel, "hash mismatch", size, actual)
        else:
            files[rel] = FileStatus(rel, "ok", size, actual)
    sets = {name: all(files[p].ok for p in paths) for name, paths in model_sets().items()}
    return VerifyReport(root, files, sets, hashed=check_hash)
