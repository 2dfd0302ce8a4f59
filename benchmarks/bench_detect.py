"""MTCNN face detection and the whole image pipeline, pyfacelm vs the original OpenFace (1 thread).

Usage: python benchmarks/bench_detect.py [--repeats 10]

Per sample image: median detect_faces time over `repeats` calls after one untimed call (the
original's protocol), the original's MTCNN median for that image (minimum over its timing rounds),
their ratio, and the whole pipeline (detect + fit every face). Prints the median ratio over
images, and the ratio at 640x480 and at the largest size, where sizes exist in the reference.
"""

from __future__ import annotations

import argparse
import json
import sys
from statistics import median

import cv2
from _common import REFERENCE, SAMPLES, model_dir, rounds, single_thread_note, time_call

import pyfacelm


def original_mtcnn_times() -> dict[str, float]:
    best: dict[str, float] = {}
    for r in rounds("mtcnn_per_image"):
        for run in r.values():
            for e in run:
                best[e["image"]] = min(best.get(e["image"], float("inf")), e["median_s"])
    return best


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    models = model_dir()
    det = pyfacelm.CLNFDetector("clnf", models)
    orig = original_mtcnn_times()
    ref = json.loads((REFERENCE / "images_clnf.json").read_text())
    print(f"pyfacelm {pyfacelm.__version__}, {single_thread_note()}")
    head = ("image", "size", "ours ms", "orig ms", "ratio", "pipeline ms")
    print(f"{head[0]:34s} {head[1]:>10s} {head[2]:>8s} {head[3]:>8s} {head[4]:>6s} {head[5]:>11s}")
    ratios, by_size = [], {}
    seen_sizes = set()
    for key in ref:
        img = cv2.imread(str(SAMPLES / key), cv2.IMREAD_COLOR)
        size = f"{img.shape[1]}x{img.shape[0]}"
        # Identical frames (the image sequences) add nothing: time one image per size and folder.
        group = (key.split("/")[0], size)
        if group in seen_sizes:
            continue
        seen_sizes.add(group)
        t = time_call(lambda img=img: det.detect_faces(img), repeats=args.repeats)
        tp = time_call(lambda img=img: det.detect(img), repeats=max(3, args.repeats // 3))
        o = orig.get(key)
        ratio = t / o if o else float("nan")
        if o:
            ratios.append(ratio)
            by_size.setdefault(size, []).append(ratio)
        o_ms = o * 1e3 if o else float("nan")
        print(f"{key:34s} {size:>10s} {t * 1e3:8.2f} {o_ms:8.2f} {ratio:6.3f} {tp * 1e3:11.2f}")
    # 1920x1080: the original's figure is for one image of that size outside the samples; ours
    # is a 1920x1080 frame built from the samples (faces at several sizes), so compare loosely.
    big_ref = min(
        (
            r[run]["1920x1080"]["median_of_medians_s"]
            for r in rounds("mtcnn_by_image_size")
            for run in r
            if "1920x1080" in r[run]
        ),
        default=None,
    )
    if big_ref:
        base = cv2.imread(str(SAMPLES / "sample6.jpg"))
        big = cv2.resize(base[:1092, :1942], (1920, 1080))
        t = time_call(lambda: det.detect_faces(big), repeats=args.repeats)
        ms, ref_ms = t * 1e3, big_ref * 1e3
        print(
            f"1920x1080 frame: {ms:.2f} ms vs original {ref_ms:.2f} ms -> ratio {t / big_ref:.3f}"
        )
    print(f"median ratio over images: {median(ratios):.3f}")
    for size in ("640x480", "1942x1944", "2048x1366"):
        if size in by_size:
            print(f"ratio at {size}: {median(by_size[size]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
