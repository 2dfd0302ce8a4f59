"""Throughput of independent streams at 1, 2, 4 and 8 threads sharing one detector.

Usage: python benchmarks/bench_threads.py [--frames 120] [--threads 1 2 4 8]

Each thread tracks its own copy of a sample video with its own Tracker; prints frames per second
over all threads and the scaling efficiency vs one thread (1.0 = linear).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

from _common import SAMPLES

import pyfacelm
from pyfacelm.video import iter_video


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--model", default="clnf")
    args = ap.parse_args()
    det = pyfacelm.CLNFDetector(args.model, os.environ.get("PYFACELM_MODEL_DIR", str(SAMPLES.parent / "model")))
    frames = [f for _, f in zip(range(args.frames), iter_video(SAMPLES / "2015-10-15-15-14.avi"))]
    # Warm-up: first detection of the stream (MTCNN) is included in every run alike.
    base = None
    print(f"pyfacelm {pyfacelm.__version__}, {os.cpu_count()} CPUs, {len(frames)} frames per stream")
    for n in args.threads:

        def work():
            t = det.tracker()
            for f in frames:
                t.update(f)

        threads = [threading.Thread(target=work) for _ in range(n)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        dt = time.perf_counter() - t0
        fps = n * len(frames) / dt
        base = base or fps
        print(f"{n} thread(s): {fps:7.1f} frames/s, scaling {fps / base:.2f}x, efficiency {fps / base / min(n, os.cpu_count() or 1):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
