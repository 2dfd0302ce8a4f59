"""Getting OpenFace's model files: download from the official URLs, or import from an existing
OpenFace install. Every file is checked against the manifest (size and SHA-256) before it appears
in the model folder; partial downloads live in ``<folder>/.partial/`` until they verify, so an
interrupted download resumes (HTTP range request) or restarts cleanly.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .models import _sha256, cache_dir, manifest, model_sets

__all__ = [
    "ACCEPT_ENV",
    "DownloadError",
    "LicenseNotAcceptedError",
    "LICENSE_SUMMARY",
    "download_models",
    "files_for_sets",
    "import_models",
]

ACCEPT_ENV = "PYFACELM_ACCEPT_OPENFACE_LICENSE"

LICENSE_SUMMARY = """\
OpenFace's model files are NOT part of pyfacelm. They are licensed by their owners
(OpenFace's authors and their universities) under OpenFace's licence:
  * academic or non-profit, non-commercial research use only;
  * no redistribution of the model files;
  * commercial use needs a licence from the owners;
  * some models were trained on data sets with their own terms.
Full text: the licence file at https://github.com/TadasBaltrusaitis/OpenFace"""

_CHUNK = 1 << 16


class DownloadError(OSError):
    """A model file could not be obtained or did not verify.

    ``unreachable`` is True when no URL could even be reached (no network, DNS failure): the
    message then suggests a mirror or importing from an OpenFace checkout. ``detail`` is the
    message without that suggestion (the command line words it for its own options).
    """

    def __init__(self, detail: str, *, unreachable: bool = False) -> None:
        hint = (
            " No server could be reached (offline?): pass mirrors=[URL] with a reachable copy of "
            "the model folder, or copy the files from an OpenFace checkout with "
            "pyfacelm.download.import_models(path)."
            if unreachable
            else ""
        )
        super().__init__(detail + hint)
        self.detail = detail
        self.unreachable = unreachable


class LicenseNotAcceptedError(PermissionError):
    """OpenFace's licence was not accepted, so nothing was downloaded."""


def files_for_sets(sets: Iterable[str]) -> list[dict[str, Any]]:
    """Manifest entries needed by the named sets ('all' = every file). Model sets include the
    MTCNN face detector, which detection and tracking need."""
    entries = {e["path"]: e for e in manifest()["files"]}
    names = list(sets)
    known = set(model_sets()) | {"all"}
    for s in names:
        if s not in known:
            raise ValueError(f"unknown model set {s!r}; choose from {', '.join(sorted(known))}")
    if "all" in names:
        return list(entries.values())
    wanted: list[str] = []
    for s in names:
        wanted += model_sets()[s]
        if s in ("clnf", "clnf_wild", "clm", "clm_wild", "ceclm"):
            wanted += model_sets()["mtcnn"]
    return [entries[p] for p in dict.fromkeys(wanted)]


def _verified(path: Path, entry: dict[str, Any]) -> bool:
    return (
        path.is_file() and path.stat().st_size == entry["size"] and _sha256(path) == entry["sha256"]
    )


def _consent(accept_license: bool, ask: Callable[[str], str] | None) -> None:
    if accept_license or os.environ.get(ACCEPT_ENV, "") in ("1", "yes", "true", "YES", "TRUE"):
        return
    if ask is None and sys.stdin is not None and sys.stdin.isatty():
        ask = input
    if ask is not None:
        print(LICENSE_SUMMARY, file=sys.stderr)
        answer = ask("Do you accept OpenFace's licence for these files? Type 'yes' to continue: ")
        if answer.strip().lower() == "yes":
            return
    raise LicenseNotAcceptedError(
        "OpenFace's model licence was not accepted: after reading it (below), pass "
        f"accept_license=True or set {ACCEPT_ENV}=1.\n" + LICENSE_SUMMARY
    )


class _Progress:
    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self.done, self.start, self.last = (
            enabled,
            total,
            0,
            time.time(),
            0.0,
        )

    def add(self, n: int, name: str) -> None:
        self.done += n
        now = time.time()
        if self.enabled and (now - self.last > 0.2 or self.done >= self.total):
            self.last = now
            pct = 100.0 * self.done / self.total if self.total else 100.0
            rate = self.done / max(now - self.start, 1e-6) / 1e6
            mb = f"{self.done / 1e6:8.1f}/{self.total / 1e6:.1f} MB"
            sys.stderr.write(f"\r{pct:5.1f}% {mb} {rate:6.1f} MB/s {name[-40:]:40s}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _unreachable(err: BaseException) -> bool:
    """True for failures before any server answered: DNS, refused or timed-out connections."""
    if isinstance(err, urllib.error.URLError):  # HTTPError never gets here (handled first)
        return isinstance(err.reason, OSError)
    return isinstance(err, (ConnectionRefusedError, TimeoutError, socket.gaierror))


def _fetch(
    url: str, part: Path, entry: dict[str, Any], timeout: float, progress: _Progress
) -> None:
    """Download `url` into `part`, resuming from its current size when the server allows it."""
    have = part.stat().st_size if part.exists() else 0
    if have > entry["size"]:
        part.unlink()
        have = 0
    req = urllib.request.Request(url, headers={"User-Agent": "pyfacelm-model-manager"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        status = getattr(resp, "status", 200)
        mode = "ab" if (have and status == 206) else "wb"
        if mode == "wb":
            have = 0
        progress.add(have, entry["path"])
        with open(part, mode) as out:
            while True:
                chunk = resp.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                progress.add(len(chunk), entry["path"])
                if out.tell() > entry["size"]:
                    break
    got = part.stat().st_size
    if got < entry["size"]:
        raise DownloadError(f"{url}: connection ended after {got} of {entry['size']} bytes")


def download_models(
    sets: Iterable[str] = ("clnf",),
    target: str | os.PathLike[str] | None = None,
    *,
    accept_license: bool = False,
    progress: bool | None = None,
    timeout: float = 60.0,
    ask: Callable[[str], str] | None = None,
    mirrors: Sequence[str] = (),
    use_official: bool = True,
) -> Path:
    """Download the model files of `sets` (clnf, clm, ceclm, ..., or all) into `target`
    (default: the user cache folder) and return the folder.

    Needs consent to OpenFace's licence: ``accept_license=True``, the environment variable
    ``PYFACELM_ACCEPT_OPENFACE_LICENSE=1``, or typing ``yes`` at the prompt on a terminal.
    Files already present and verified are kept. Each file is tried from its official URLs in
    order; it is moved into place only after its size and SHA-256 match the manifest.
    ``mirrors`` are base URLs laid out like the model folder (e.g. a local copy), tried first;
    ``use_official=False`` skips OpenFace's own URLs.

    Raises:
        LicenseNotAcceptedError: no consent.
        DownloadError: a file could not be downloaded from any URL, or did not verify (the
            message lists what was tried); verified files already in place are untouched.
    """
    entries = files_for_sets(sets)
    root = Path(target).expanduser() if target is not None else cache_dir()
    todo = [e for e in entries if not _verified(root / e["path"], e)]
    if not todo:
        return root
    _consent(accept_license, ask)
    staging = root / ".partial"
    staging.mkdir(parents=True, exist_ok=True)
    show = sys.stderr.isatty() if progress is None else progress
    bar = _Progress(show, sum(e["size"] for e in todo))
    try:
        for e in todo:
            final = root / e["path"]
            part = staging / (e["path"].replace("/", "__") + ".part")
            errors = []
            reached = False  # did any server answer (even with an error)?
            urls = [m.rstrip("/") + "/" + e["path"] for m in mirrors]
            urls += list(e["urls"]) if use_official else []
            for real in urls:
                try:
                    _fetch(real, part, e, timeout, bar)
                except (OSError, http.client.HTTPException) as err:
                    # A partial file stays in .partial/ for a later resume.
                    if isinstance(err, urllib.error.HTTPError):
                        reached = True
                        errors.append(f"{real}: HTTP {err.code} {err.reason}")
                    else:
                        reached = reached or not _unreachable(err)
                        errors.append(f"{real}: {getattr(err, 'reason', None) or err}")
                    continue
                reached = True
                if part.stat().st_size == e["size"] and _sha256(part) == e["sha256"]:
                    final.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(part, final)
                    break
                part.unlink()
                errors.append(
                    f"{real}: downloaded file does not match the manifest's SHA-256 (corrupted?)"
                )
            else:
                tried = "; ".join(errors) if errors else "no URL to try"
                raise DownloadError(
                    f"could not get {e['path']}: {tried}", unreachable=bool(errors) and not reached
                )
    finally:
        bar.close()
        if staging.exists() and not any(staging.iterdir()):
            staging.rmdir()
    return root


def _find_openface_model_dir(path: Path) -> Path:
    for cand in (path, path / "lib" / "local" / "LandmarkDetector" / "model", path / "model"):
        if cand.is_dir() and any(cand.glob("main_*.txt")):
            return cand
    raise FileNotFoundError(
        f"{path} is neither an OpenFace model folder (with main_*.txt files) nor an OpenFace "
        "checkout containing lib/local/LandmarkDetector/model"
    )


def import_models(
    source: str | os.PathLike[str], target: str | os.PathLike[str] | None = None
) -> tuple[Path, list[str], list[str]]:
    """Copy the manifest's files from an existing OpenFace install (its checkout folder or its
    model folder) into `target` (default: the user cache folder).

    Only files whose SHA-256 matches the manifest are copied (each through a temporary file and
    a rename). Returns (target folder, copied paths, paths that were present but did not verify).
    """
    src = _find_openface_model_dir(Path(source).expanduser())
    root = Path(target).expanduser() if target is not None else cache_dir()
    copied, rejected = [], []
    for e in manifest()["files"]:
        p = src / e["path"]
        if not p.is_file():
            continue
        if not _verified(p, e):
            rejected.append(e["path"])
            continue
        final = root / e["path"]
        if _verified(final, e):
            continue
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(final.name + ".importing")
        shutil.copyfile(p, tmp)
        os.replace(tmp, final)
        copied.append(e["path"])
    return root, copied, rejected
