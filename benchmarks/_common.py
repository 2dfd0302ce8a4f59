"""Shared helpers of the benchmark scripts: locating ../shared and OpenFace's recorded timings."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from statistics import median
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYFACELM_SHARED_DIR", REPO.parent / "shared"))
REFERENCE = SHARED / "reference"
SAMPLES = SHARED / "openface" / "samples"


def model_dir() -> str:
    """OpenFace's model folder: $PYFACELM_MODEL_DIR, else ../shared/openface/model."""
    return os.environ.get("PYFACELM_MODEL_DIR", str(SAMPLES.parent / "model"))


def timings() -> dict:
    return json.loads((REFERENCE / "timings.json").read_text())


def rounds(section: str, mode: str = "single_thread") -> list[dict]:
    """The given section of every timing round of the original (e.g. 'fit_per_face')."""
    t = timings()["rounds"]
    return [r[mode][section] for r in t.values() if mode in r and section in r[mode]]


def time_call(fn: Callable[[], object], repeats: int = 10, warmup: int = 1) -> float:
    """Median time (s) of `repeats` calls after `warmup` untimed ones (the original's protocol)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return median(samples)


def single_thread_note() -> str:
    return "single thread (pyfacelm fits, detects and tracks on the calling thread)"
