"""The outcome of a batch run: one entry per input, totals, and its JSON file."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .task import InputResult

__all__ = ["REPORT_NAME", "BatchReport", "InputResult"]

#: File name of the report in the output folder.
REPORT_NAME = "_pyfacelm_batch.json"

#: An input's status: processed now, already complete from an earlier run, or failed.
STATUSES = ("done", "skipped", "failed")


@dataclass
class BatchReport:
    """What a batch run did.

    Attributes:
        out_dir: the output folder.
        results: one :class:`InputResult` per input (``input``, ``output``, ``status`` =
            ``done`` / ``skipped`` / ``failed``, ``frames`` (images, for images),
            ``frames_with_face`` (with a successfully fitted face), ``rows``,
            ``seconds`` spent on it, ``error``: the one-line reason of a failure, ``worker``:
            ``host:pid`` that processed it, ``worker_rss_mb``: that worker's memory after it).
        seconds: wall-clock time of the run.
        settings: model, max_faces, format, kind and where the work ran.
    """

    out_dir: str
    results: list[InputResult] = field(default_factory=list)
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    def _with(self, status: str) -> list[InputResult]:
        return [r for r in self.results if r.status == status]

    @property
    def done(self) -> list[InputResult]:
        return self._with("done")

    @property
    def skipped(self) -> list[InputResult]:
        return self._with("skipped")

    @property
    def failed(self) -> list[InputResult]:
        return self._with("failed")

    @property
    def ok(self) -> bool:
        """True if no input failed."""
        return not self.failed

    def totals(self) -> dict[str, Any]:
        """Counts per status, frames processed in this run and their rate (frames/s)."""
        frames = sum(r.frames for r in self.done)
        return {
            "inputs": len(self.results),
            **{s: len(self._with(s)) for s in STATUSES},
            "frames": frames,
            "frames_with_face": sum(r.frames_with_face for r in self.done),
            "seconds": round(self.seconds, 3),
            "frames_per_second": round(frames / self.seconds, 2) if self.seconds > 0 else 0.0,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "settings": self.settings,
            "totals": self.totals(),
            "results": [asdict(r) for r in self.results],
        }

    def write(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the report as JSON (default ``out_dir/_pyfacelm_batch.json``), atomically."""
        target = Path(path) if path is not None else Path(self.out_dir) / REPORT_NAME
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        os.replace(tmp, target)
        return target

    def __str__(self) -> str:
        t = self.totals()
        return (
            f"{t['inputs']} input(s): {t['done']} done, {t['skipped']} skipped, "
            f"{t['failed']} failed; {t['frames']} frames ({t['frames_with_face']} with a face) "
            f"in {t['seconds']:.1f} s, {t['frames_per_second']:.1f} frames/s"
        )
