"""Model load times and first-call cost, pyfacelm vs the original OpenFace.

Usage: python benchmarks/bench_load.py [--repeats 10]

Loading runs on the calling thread. Each load is timed on one core (the process pinned with
os.sched_setaffinity, Linux; comparable with the original's single-thread figure) and unpinned;
the CPU time is printed too. Ratios are to the original's single-thread load (minimum over its
rounds of its median). Last, the first fit after a load relative to later fits: a CCNF model
(CLNF's main model and its eye and inner parts) factorises each view's CRF matrices on their
first use, so the first fit pays for its views' ones (it should stay below 2x).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import cv2
from _common import REFERENCE, SAMPLES, model_dir, rounds, time_call

import pyfacelm
from pyfacelm import _clnf


def timed(fn, repeats: int) -> float:
    return time_call(fn, repeats=repeats, warmup=0)


def cpu_time(fn, repeats: int) -> float:
    """Median process CPU time (all threads) of `repeats` calls."""
    samples = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        samples.append(time.process_time() - t0)
    return sorted(samples)[len(samples) // 2]


def one_core(fn, repeats: int) -> float | None:
    """Median wall time with the process pinned to one CPU (None where that is unsupported)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        return timed(fn, repeats)
    finally:
        os.sched_setaffinity(0, cpus)


def report(name: str, fn, orig: float, repeats: int) -> None:
    one = one_core(fn, repeats)
    all_cores = timed(fn, repeats)
    cpu = cpu_time(fn, repeats)
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    first = "" if one is None else f"1 core {one * 1e3:6.1f} ms (ratio {one / orig:.2f}), "
    print(
        f"{name} load: {first}{n} cores {all_cores * 1e3:6.1f} ms "
        f"(CPU time {cpu * 1e3:6.1f} ms); original 1 thread {orig * 1e3:6.1f} ms"
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    models = model_dir()
    load = rounds("load")
    ref = json.loads((REFERENCE / "images_clnf.json").read_text())
    img = cv2.imread(str(SAMPLES / "sample1.jpg"))
    box = ref["sample1.jpg"]["faces"][0]["bbox"]
    for model, main_file in (("clnf", "main_clnf_general.txt"), ("clm", "main_clm_general.txt")):
        orig = min(r[model]["clnf_model_load_median_s"] for r in load if model in r)
        path = os.path.join(models, main_file)
        report(model, lambda p=path: _clnf.CLNFModel(p), orig, args.repeats)
    path = os.path.join(models, "mtcnn_detector", "MTCNN_detector.txt")
    orig = min(r["clnf"]["mtcnn_load_median_s"] for r in load if "clnf" in r)
    report("mtcnn", lambda: _clnf.MTCNN(path), orig, args.repeats)
    for model in ("clnf", "clm"):
        det = pyfacelm.CLNFDetector(model, models)
        t0 = time.perf_counter()
        det.fit(img, box)
        first = time.perf_counter() - t0
        later = timed(lambda d=det: d.fit(img, box), args.repeats)
        f_ms, l_ms = first * 1e3, later * 1e3
        print(f"{model} first fit: {f_ms:.1f} ms, later {l_ms:.1f} ms, x{f_ms / l_ms:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
