"""Batch throughput: frames/s over the 14 extra clips with 1 worker, the local pool of 2 workers,
and a Dask LocalCluster of 2 worker processes (``pyfacelm.batch.run``, Parquet output).

Run on an otherwise idle machine with at least 2 cores:
``PYFACELM_MODEL_DIR=... python benchmarks/bench_batch.py [FOLDER]``. Each configuration writes
into a fresh temporary folder (nothing is skipped) and includes starting the worker processes of
the local pool and loading the model in every worker; the Dask cluster is started before the
clock starts (it is an existing cluster to the user), without the allocator setting its nanny
gives workers by default (see the README).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import SHARED, model_dir

from pyfacelm import batch


def timed(clips: list[Path], **kw: object) -> float:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        report = batch.run(clips, out, model_dir=model_dir(), progress=False, **kw)  # type: ignore[arg-type]
        seconds = time.perf_counter() - t0
    if not report.ok:
        raise SystemExit(f"failed: {[(r.input, r.error) for r in report.failed]}")
    return sum(r.frames for r in report.done) / seconds


_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def main() -> None:
    import dask
    from distributed import Client, LocalCluster

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "extra" / "videos"
    clips = sorted(folder.glob("*.avi"))
    if not clips:
        raise SystemExit(f"no .avi clips in {folder}")
    print(f"{len(clips)} clips from {folder}, {os.cpu_count()} cores")
    print(f"load average before: {os.getloadavg()}")
    one = timed(clips, workers=1)
    print(f"1 worker:                  {one:7.1f} frames/s")
    pool = timed(clips, workers=2)
    print(f"local pool, 2 workers:     {pool:7.1f} frames/s  ({pool / one:.2f}x one worker)")
    # Dask's nanny gives its workers MALLOC_TRIM_THRESHOLD_=65536: glibc then hands freed
    # per-frame buffers back to the system and faults them in again (10x the page faults,
    # 12-20 % more CPU per tracked frame). Unset it, as the README recommends.
    with dask.config.set({_TRIM: None}), LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, Client(cluster) as client:
        # An existing cluster has imported pyfacelm already (the local pool forks a parent
        # that has); do not time the workers' first imports.
        client.run(importlib.import_module, "pyfacelm.batch.task")
        dask = timed(clips, client=client)
    print(
        f"Dask LocalCluster, 2 workers: {dask:7.1f} frames/s  ({dask / pool:.2f}x the local pool)"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
