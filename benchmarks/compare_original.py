"""pyfacelm vs the original OpenFace, every row of the reference timing table, calibrated.

Usage: python benchmarks/compare_original.py [--cpu 1] [--repeats 10] [--passes 3] [--only fit ...]

Follows the protocol of the reference's ``timings_calibrated.json`` (its ``protocol`` field): one
process pinned to one core, single thread; fit = median over the 111 sample faces (reference MTCNN
boxes) of the per-face median of `repeats` calls after one untimed call; tracking = first 300
frames decoded beforehand, a fresh tracker per pass, pass 1 dropped, median per-frame time pooled
over the warm passes; MTCNN = image_sequence/001.jpg at 640x480 and resized (INTER_LINEAR) to
1920x1080, 1 untimed + 10 timed calls; load = median of 10 constructions.

Before measuring it waits (bounded) for an idle machine and runs the calibration workload pinned
to the same core; every row prints our time, the original's, the original's time expected on this
machine (original x calibration scale), the raw ratio and the calibrated ratio (< 1: faster).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from statistics import median

import cv2
from _calibration import (
    Calibration,
    calibrate,
    cpu_model,
    describe,
    original_ms,
    pin,
    ratio_line,
    wait_until_idle,
)
from _common import REFERENCE, SAMPLES, model_dir, time_call

import pyfacelm
from pyfacelm import _clnf
from pyfacelm.video import iter_video

SECTIONS = ("fit", "video", "mtcnn", "load")


def bench_fit(cal: Calibration, repeats: int) -> list[float]:
    ratios = []
    for model in ("clnf", "clm"):
        det = pyfacelm.CLNFDetector(model, model_dir())
        ref = json.loads((REFERENCE / f"images_{model}.json").read_text())
        per_face = []
        for key, entry in ref.items():
            img = cv2.imread(str(SAMPLES / key), cv2.IMREAD_COLOR)
            for face in entry["faces"]:
                call = lambda d=det, im=img, b=face["bbox"]: d.fit(im, b)  # noqa: E731
                per_face.append(time_call(call, repeats=repeats) * 1e3)
        orig = original_ms(f"fit per face {model.upper()}")
        label = f"fit per face {model.upper()} ({len(per_face)} faces)"
        print(ratio_line(label, median(per_face), orig, cal), flush=True)
        ratios.append(median(per_face) / (orig * cal.scale))
    return ratios


def bench_video(cal: Calibration, passes: int) -> list[float]:
    ratios = []
    for file in ("default.wmv", "multi_face.avi"):
        frames = []
        for f in iter_video(SAMPLES / file):
            frames.append(f)
            if len(frames) == 300:
                break
        for model in ("clnf", "clm"):
            det = pyfacelm.CLNFDetector(model, model_dir())
            warm: list[float] = []
            for p in range(passes):
                tracker = det.tracker()
                for frame in frames:
                    t0 = time.perf_counter()
                    tracker.update(frame)
                    if p > 0:
                        warm.append((time.perf_counter() - t0) * 1e3)
            orig = original_ms(f"tracking {file} {model.upper()}")
            label = f"tracking {file} {model.upper()} ({len(frames)} frames)"
            print(ratio_line(label, median(warm), orig, cal), flush=True)
            ratios.append(median(warm) / (orig * cal.scale))
    return ratios


def bench_mtcnn(cal: Calibration, repeats: int) -> list[float]:
    det = pyfacelm.CLNFDetector("clnf", model_dir())
    small = cv2.imread(str(SAMPLES / "image_sequence" / "001.jpg"), cv2.IMREAD_COLOR)
    big = cv2.resize(small, (1920, 1080), interpolation=cv2.INTER_LINEAR)
    ratios = []
    for size, img in (("640x480", small), ("1920x1080", big)):
        ours = time_call(lambda im=img: det.detect_faces(im), repeats=repeats) * 1e3
        orig = original_ms(f"MTCNN detect {size}")
        print(ratio_line(f"MTCNN detect {size}", ours, orig, cal), flush=True)
        ratios.append(ours / (orig * cal.scale))
    return ratios


def bench_load(cal: Calibration) -> list[float]:
    models = model_dir()
    ratios = []
    for model in ("clnf", "clm"):
        # CLNFDetector(m, model_dir), as the protocol says; loading runs on the calling thread,
        # pinned to one core: a single-thread figure, as the original's.
        ours = time_call(lambda m=model: pyfacelm.CLNFDetector(m, models), 10, warmup=0) * 1e3
        orig = original_ms(f"model load {model.upper()}")
        print(ratio_line(f"model load {model.upper()} (one core)", ours, orig, cal), flush=True)
        ratios.append(ours / (orig * cal.scale))
    path = os.path.join(models, "mtcnn_detector", "MTCNN_detector.txt")
    ours = time_call(lambda: _clnf.MTCNN(path), 10, warmup=0) * 1e3
    orig = original_ms("model load MTCNN")
    print(ratio_line("model load MTCNN", ours, orig, cal), flush=True)
    ratios.append(ours / (orig * cal.scale))
    return ratios


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cpu", type=int, default=1, help="core to pin to (the reference used 1)")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--passes", type=int, default=3, help="tracking passes (the first is dropped)")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    ap.add_argument("--max-wait", type=float, default=300, help="seconds to wait for idle")
    args = ap.parse_args()
    if args.cpu not in os.sched_getaffinity(0):
        args.cpu = min(os.sched_getaffinity(0))
    load = wait_until_idle(args.max_wait)
    pin(args.cpu)
    print(f"pyfacelm {pyfacelm.__version__} ({pyfacelm.simd()} kernels) on {cpu_model()}")
    print(f"1-min load average before the run: {load:.2f}")
    cal = calibrate(args.cpu)
    print(describe(cal, args.cpu), flush=True)
    ratios: list[float] = []
    if "fit" in args.only:
        ratios += bench_fit(cal, args.repeats)
    if "video" in args.only:
        ratios += bench_video(cal, args.passes)
    if "mtcnn" in args.only:
        ratios += bench_mtcnn(cal, args.repeats)
    if "load" in args.only:
        ratios += bench_load(cal)
    after = calibrate(args.cpu)
    print(describe(after, args.cpu))
    drift = after.here_ms / cal.here_ms
    print(f"calibration drift over the run: x{drift:.3f} (> 1.05 means the machine got busier)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
