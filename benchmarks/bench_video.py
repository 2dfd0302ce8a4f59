"""Tracking speed per sample video and model, pyfacelm vs the original OpenFace (1 thread).

Usage: python benchmarks/bench_video.py [--models clnf clm] [--passes 3]

Frames are decoded first (as the original's timing did); each pass tracks every frame with a
fresh tracker; statistics are pooled over passes 2.. ("warm"). Prints frames per second, our
median per-frame time, the original's (minimum over its rounds of its warm per-frame median),
the ratio (< 1: faster), and the Python overhead per frame: time in Tracker.update minus the
time spent in the compiled core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from statistics import median

from _common import REFERENCE, SAMPLES, model_dir, rounds, single_thread_note

import pyfacelm
from pyfacelm.video import iter_video

VIDEOS = ["2015-10-15-15-14", "changeLighting", "default", "image_sequence", "multi_face"]


def original_frame_median(name: str, model: str) -> float | None:
    vals = [
        r[name][model]["warm_all_frames"]["median_s"]
        for r in rounds("video")
        if name in r and model in r[name]
    ]
    return min(vals) if vals else None


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--models", nargs="+", default=["clnf", "clm"])
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    models = model_dir()
    print(f"pyfacelm {pyfacelm.__version__}, {single_thread_note()}")
    cols = ("video", "model", "fps", "ours ms", "orig ms", "ratio", "py overhead")
    widths = (-18, -5, 7, 8, 8, 6, 12)
    print(" ".join(f"{c:<{-w}s}" if w < 0 else f"{c:>{w}s}" for c, w in zip(cols, widths)))
    all_ratios = []
    for model in args.models:
        det = pyfacelm.CLNFDetector(model, models)
        for name in VIDEOS:
            ref = json.loads(
                (REFERENCE / f"video_{name}{'' if model == 'clnf' else '_clm'}.json").read_text()
            )
            frames = []
            for f in iter_video(SAMPLES / ref["source"]["path"]):
                frames.append(f)
                if len(frames) == ref["n_frames"]:
                    break
            times, overhead = [], []
            for p in range(args.passes):
                tracker = det.tracker()
                for f in frames:
                    t0 = time.perf_counter()
                    tracker.update(f)
                    dt = time.perf_counter() - t0
                    if p > 0:
                        times.append(dt)
                        overhead.append(dt - tracker.last_event["core_seconds"])
            ours = median(times)
            orig = original_frame_median(name, model)
            ratio = ours / orig if orig else float("nan")
            all_ratios.append(ratio)
            o_ms = orig * 1e3 if orig else float("nan")
            ov = median(overhead)
            print(
                f"{name:18s} {model:5s} {1 / ours:7.1f} {ours * 1e3:8.2f} {o_ms:8.2f} "
                f"{ratio:6.3f} {ov * 1e6:9.1f} us ({ov / ours * 100:.1f} %)"
            )
    print(f"median ratio: {median(all_ratios):.3f}, worst: {max(all_ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
