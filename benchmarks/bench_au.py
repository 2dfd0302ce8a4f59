"""Cost of action units relative to tracking, per sample video (1 thread, CLNF).

Usage: python benchmarks/bench_au.py [--videos default changeLighting] [--passes 2]

Frames are decoded first. Each pass tracks every frame with a fresh tracker and then feeds the
same frames and faces to a fresh AU sequence (alignment, FHOG, PDM fit, predictions, running
medians), timing both per frame; the end-of-sequence post-processing is timed once per pass
and spread over the frames. Statistics are pooled over passes 2.. ("warm"). Prints median
per-frame times, the AU share (AU time / tracking time; the budget is 50 %), and the same
ratio of the mean times (which includes the first frame's histogram allocation).
"""

from __future__ import annotations

import argparse
import time
from statistics import median

from _common import SAMPLES, model_dir, single_thread_note

import pyfacelm
from pyfacelm.video import iter_video

FILES = {
    "default": "default.wmv",
    "changeLighting": "changeLighting.wmv",
    "2015-10-15-15-14": "2015-10-15-15-14.avi",
}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--videos", nargs="+", default=list(FILES))
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args()
    models = model_dir()
    print(f"pyfacelm {pyfacelm.__version__}, {single_thread_note()}")
    det = pyfacelm.CLNFDetector("clnf", models)
    aus = pyfacelm.AUAnalyser(models)
    print(f"{'video':18s} {'track ms':>9s} {'AU ms':>7s} {'AU share':>9s} {'share of means':>15s}")
    for name in args.videos:
        frames = list(iter_video(SAMPLES / FILES[name]))
        track_t: list[float] = []
        au_t: list[float] = []
        for p in range(args.passes):
            tracker = det.tracker()
            faces = []
            for f in frames:
                t0 = time.perf_counter()
                faces.append(tracker.update(f))
                if p > 0:
                    track_t.append(time.perf_counter() - t0)
            stream = aus.sequence()
            per_frame = []
            for f, fs in zip(frames, faces):
                t0 = time.perf_counter()
                stream.add(f, fs[0] if fs else None)
                per_frame.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            stream.finish()
            post = (time.perf_counter() - t0) / len(frames)
            if p > 0:
                au_t += [t + post for t in per_frame]
        tr, au = median(track_t), median(au_t)
        means = sum(au_t) / sum(track_t)
        share = f"{au / tr * 100:8.1f} % {means * 100:14.1f} %"
        print(f"{name:18s} {tr * 1e3:9.2f} {au * 1e3:7.2f} {share}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
