"""Long runs (marked slow): memory stays flat while tracking and while loading detectors."""

from __future__ import annotations

import gc
import sys

import pytest
from conftest import SAMPLES

import pyfacelm
from pyfacelm.video import iter_video

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status"),
]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def test_tracking_10000_frames_keeps_memory_flat(model_dir, samples_dir):
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    frames = list(iter_video(SAMPLES / "default.wmv"))
    tracker = det.tracker()
    n = 0
    warm = None
    while n < 10000:
        for f in frames:
            tracker.update(f)
            n += 1
            if n == 1000:
                gc.collect()
                warm = rss_mb()
            if n >= 10000:
                break
    gc.collect()
    growth = rss_mb() - warm
    print(f"\nRSS after warm-up {warm:.1f} MB, after 10000 frames growth {growth:+.2f} MB")
    assert growth < 5.0


def test_creating_and_dropping_detectors_keeps_memory_flat(model_dir):
    for _ in range(20):
        pyfacelm.CLNFDetector("clm", model_dir)
    gc.collect()
    warm = rss_mb()
    for _ in range(1000):
        d = pyfacelm.CLNFDetector("clm", model_dir)
        del d
    gc.collect()
    growth = rss_mb() - warm
    print(f"\nRSS growth after 1000 detectors: {growth:+.2f} MB")
    assert growth < 5.0
