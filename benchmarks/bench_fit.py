"""Per-face fit time of pyfacelm vs the original OpenFace (DetectLandmarksInImage, one thread).

Usage: python benchmarks/bench_fit.py [--models clnf clm] [--repeats 10] [--profile]

For every face of the OpenFace samples in ../shared/reference/images_<model>.json, fits from the
recorded box `repeats` times after one untimed call and takes the median (the original's
protocol). Prints our median over faces, the original's (minimum over its timing rounds of its
per-face medians, same faces), and the ratio ours / original (< 1 means faster).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from statistics import median

import cv2
from _common import REFERENCE, SAMPLES, model_dir, rounds, single_thread_note, time_call

import pyfacelm


def original_face_times(model: str) -> dict[tuple[str, int], float]:
    """(image, face index) -> min over rounds of the original's per-face median (s)."""
    best: dict[tuple[str, int], float] = {}
    for r in rounds("fit_per_face"):
        if model not in r:
            continue
        seen: dict[str, int] = defaultdict(int)
        for f in r[model]["faces"]:
            key = (f["image"], seen[f["image"]])
            seen[f["image"]] += 1
            best[key] = min(best.get(key, float("inf")), f["median_s"])
    return best


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--models", nargs="+", default=["clnf", "clm"])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument(
        "--profile", action="store_true", help="run under cProfile and print the top entries"
    )
    args = ap.parse_args()
    models = model_dir()
    print(f"pyfacelm {pyfacelm.__version__}, {single_thread_note()}, models from {models}")
    ratios = {}
    for model in args.models:
        det = pyfacelm.CLNFDetector(model, models)
        ref = json.loads((REFERENCE / f"images_{model}.json").read_text())
        orig = original_face_times(model)
        ours, theirs, per_face = [], [], []
        for key, entry in ref.items():
            img = cv2.imread(str(SAMPLES / key), cv2.IMREAD_COLOR)
            for i, face in enumerate(entry["faces"]):
                call = lambda d=det, im=img, b=face["bbox"]: d.fit(im, b)  # noqa: E731
                t = time_call(call, repeats=args.repeats)
                o = orig.get((key, i))
                ours.append(t)
                if o is not None:
                    theirs.append(o)
                    per_face.append(t / o)
        m_ours, m_theirs = median(ours), median(theirs)
        ratios[model] = m_ours / m_theirs
        print(
            f"{model:5s}: {len(ours)} faces, median fit {m_ours * 1e3:.2f} ms, original "
            f"{m_theirs * 1e3:.2f} ms -> ratio {ratios[model]:.3f} "
            f"(median of per-face ratios {median(per_face):.3f}, worst {max(per_face):.3f})"
        )
    if args.profile:
        import cProfile
        import pstats

        det = pyfacelm.CLNFDetector(args.models[0], models)
        img = cv2.imread(str(SAMPLES / "sample1.jpg"))
        box = json.loads((REFERENCE / f"images_{args.models[0]}.json").read_text())["sample1.jpg"][
            "faces"
        ][0]["bbox"]
        prof = cProfile.Profile()
        prof.runcall(lambda: [det.fit(img, box) for _ in range(50)])
        pstats.Stats(prof).sort_stats("cumulative").print_stats(8)
    print("ratios:", " ".join(f"{k}={v:.3f}" for k, v in ratios.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
