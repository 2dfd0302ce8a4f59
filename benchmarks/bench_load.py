"""Model load times and first-call cost, pyfacelm vs the original OpenFace.

Usage: python benchmarks/bench_load.py [--repeats 10]

Prints the median load time of each model (CLNF, CLM with their parts and validator; MTCNN)
with the ratio to the original's (minimum over its rounds of its median), and the first fit
after a load relative to later fits (no hidden lazy work: should stay below 2).
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
        ours = timed(lambda f=main_file: _clnf.CLNFModel(os.path.join(models, f)), args.repeats)
        orig = min(r[model]["clnf_model_load_median_s"] for r in load if model in r)
        ms, ref_ms = ours * 1e3, orig * 1e3
        print(f"{model} load: {ms:6.1f} ms, original {ref_ms:6.1f} ms, ratio {ours / orig:.2f}")
    path = os.path.join(models, "mtcnn_detector", "MTCNN_detector.txt")
    ours = timed(lambda: _clnf.MTCNN(path), args.repeats)
    orig = min(r["clnf"]["mtcnn_load_median_s"] for r in load if "clnf" in r)
    print(
        f"mtcnn load: {ours * 1e3:6.1f} ms, original {orig * 1e3:6.1f} ms, ratio {ours / orig:.2f}"
    )
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
