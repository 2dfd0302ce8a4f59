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

from _common import SAMPLES, model_dir

import pyfacelm
from pyfacelm.video import iter_video


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--model", default="clnf")
    args = ap.parse_args()
    det = pyfacelm.CLNFDetector(args.model, model_dir())
    frames = [f for _, f in zip(range(args.frames), iter_video(SAMPLES / "2015-10-15-15-14.avi"))]
    base = None
    cpus = os.cpu_count() or 1
    print(f"pyfacelm {pyfacelm.__version__}, {cpus} CPUs, {len(frames)} frames per stream")
    for n in args.threads:
        # Each stream's first frame (MTCNN + 11-hypothesis fit) runs before the clock starts;
        # the timed part is steady-state tracking.
        ready = threading.Barrier(n + 1)
        done = threading.Barrier(n + 1)

        def work(ready=ready, done=done):
            t = det.tracker()
            t.update(frames[0])
            ready.wait()
            for f in frames[1:]:
                t.update(f)
            done.wait()

        threads = [threading.Thread(target=work) for _ in range(n)]
        for t in threads:
            t.start()
        ready.wait()
        t0 = time.perf_counter()
        done.wait()
        dt = time.perf_counter() - t0
        for t in threads:
            t.join()
        fps = n * (len(frames) - 1) / dt
        base = base or fps
        eff = fps / base / min(n, cpus)
        print(
            f"{n} thread(s): {fps:7.1f} frames/s, scaling {fps / base:.2f}x, efficiency {eff:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
