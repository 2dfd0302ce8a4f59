"""``run``: skip what is complete, hand the rest to an executor, collect a report.

The work is spread by an existing engine, never by pyfacelm: a local
:class:`concurrent.futures.ProcessPoolExecutor` (default), any
:class:`concurrent.futures.Executor` the caller passes, or a Dask ``distributed.Client``. One
task per input; a worker loads each model once (:func:`pyfacelm.detector.cached_detector`).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..errors import ModelFormatError, ModelNotFoundError
from .inputs import Job, expand, fingerprint
from .outputs import FORMATS, output_path, read_complete
from .report import BatchReport
from .task import InputResult, Settings, process
from .worker import exit_with_parent

__all__ = ["run"]

_Done = Callable[[InputResult], None]

# A local worker that dies (killed, crashed) takes its input down with it: the inputs it was
# processing are retried once in a fresh pool, then reported failed.
_ATTEMPTS = 2


def _failed(job: Job, error: str) -> InputResult:
    return InputResult(job.source, None, "failed", error=error)


def _run_pool(
    todo: list[Job], settings: Settings, make_pool: Callable[[], Executor], size: int, done: _Done
) -> None:
    """Run on our own process pool, at most one input per worker in flight: when the pool
    breaks (a worker was killed or crashed), the inputs that were running are known; they are
    retried once in a fresh pool."""
    pool = make_pool()
    pending = deque(todo)
    attempts: dict[Job, int] = {}
    inflight: dict[Future[InputResult], Job] = {}
    try:
        while pending or inflight:
            while pending and len(inflight) < size:
                job = pending.popleft()
                inflight[pool.submit(process, job, settings)] = job
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            lost: list[Job] = []
            for fut in finished:
                job = inflight.pop(fut)
                try:
                    done(fut.result())
                except BrokenProcessPool:
                    lost.append(job)
            if lost:
                # Everything else still in flight went down with the pool too.
                for fut, job in inflight.items():
                    if fut.done() and fut.exception() is None:
                        done(fut.result())
                    else:
                        lost.append(job)
                inflight.clear()
                pool.shutdown(wait=True)
                for job in lost:
                    attempts[job] = attempts.get(job, 0) + 1
                    if attempts[job] >= _ATTEMPTS:
                        done(_failed(job, "worker process died (killed or crashed), twice"))
                    else:
                        pending.appendleft(job)
                pool = make_pool()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_executor(todo: list[Job], settings: Settings, executor: Executor, done: _Done) -> None:
    """Run on the caller's executor: everything submitted at once (its queueing is its own)."""
    futures = {executor.submit(process, job, settings): job for job in todo}
    try:
        for fut in as_completed(futures):
            try:
                done(fut.result())
            except BrokenExecutor:
                done(_failed(futures[fut], "worker died (killed or crashed)"))
    finally:
        for fut in futures:
            fut.cancel()


def _run_dask(todo: list[Job], settings: Settings, client: Any, done: _Done) -> None:
    """Run on a Dask cluster: all tasks submitted at once; its scheduler balances them and
    retries a task whose worker died (``distributed.scheduler.allowed-failures``)."""
    import distributed

    futures = {client.submit(process, job, settings, pure=False): job for job in todo}
    try:
        for fut in distributed.as_completed(list(futures)):  # type: ignore[no-untyped-call]
            job = futures[fut]
            try:
                done(fut.result())
            except (ModelNotFoundError, ModelFormatError):
                raise
            except Exception as e:  # noqa: BLE001 - e.g. KilledWorker: this input fails alone
                done(_failed(job, f"{type(e).__name__}: {' '.join(str(e).split())}"))
            fut.release()
    finally:
        client.cancel([f for f in futures if not f.done()])


class _Progress:
    """A tqdm bar of inputs (rate in frames/s); nothing if disabled, not a terminal, or no tqdm."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar: Any = None
        self._frames = 0
        self._failed = 0
        self._t0 = time.perf_counter()
        if enabled and total:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, unit="input", desc="pyfacelm", disable=None)

    def update(self, r: InputResult) -> None:
        self._frames += r.frames
        self._failed += r.status == "failed"
        if self._bar is not None:
            rate = self._frames / max(time.perf_counter() - self._t0, 1e-9)
            fails = f", {self._failed} failed" if self._failed else ""
            self._bar.set_postfix_str(f"{rate:.1f} frames/s{fails}", refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _engine(client: Any, workers: int | None) -> str:
    if client is None:
        return f"local process pool ({workers or os.cpu_count() or 1} workers)"
    if isinstance(client, Executor):
        return type(client).__name__
    return f"dask {getattr(client, 'scheduler', None) and client.scheduler.address}"


def run(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    model: str = "clnf",
    model_dir: str | os.PathLike[str] | None = None,
    kind: str = "auto",
    max_faces: int | None = 1,
    format: str = "parquet",
    client: Any = None,
    workers: int | None = None,
    progress: bool = True,
) -> BatchReport:
    """Process many videos, image sequences and images, one output file per input.

    Args:
        inputs: paths of videos, image-sequence folders, images, folders of any of these
            (walked recursively), or glob patterns (``**`` recurses).
        out_dir: output folder; each output keeps its input's relative path and file name,
            plus ``.parquet`` or ``.csv``. The report goes to ``out_dir/_pyfacelm_batch.json``.
        model, model_dir: as for :class:`pyfacelm.CLNFDetector`. On a cluster, leave
            ``model_dir`` None to have each worker find its models the usual way.
        kind: ``"auto"`` (image files are images, folders of images are sequences, other files
            videos), ``"video"`` (every file is a video) or ``"images"`` (image files and folders
            of images are independent images, every face detected, as ``pyfacelm image``).
        max_faces: faces to track per video (as ``CLNFDetector.tracker``; None = no limit).
        format: ``"parquet"`` (zstd; needs pyarrow) or ``"csv"``: the CLI's columns and values.
        client: None for a local pool of worker processes, any
            :class:`concurrent.futures.Executor`, or a Dask ``distributed.Client``.
        workers: size of the local pool (default: one per core); only with ``client=None``.
        progress: show a progress bar on a terminal (needs tqdm).

    Returns:
        A :class:`BatchReport` (also written to ``out_dir/_pyfacelm_batch.json``). Inputs whose
        complete output from an earlier run still matches the input and the settings are
        ``skipped``; an input that cannot be read or decoded is ``failed`` and the rest go on.

    Raises:
        ValueError: bad argument.
        ImportError: ``format="parquet"`` without pyarrow.
        ModelNotFoundError, ModelFormatError: the model files are missing or corrupt.
    """
    t0 = time.perf_counter()
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if max_faces is not None and (not isinstance(max_faces, int) or max_faces < 1):
        raise ValueError(f"max_faces must be a positive integer or None, got {max_faces!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if client is not None and workers is not None:
        raise ValueError("workers= sizes the local pool; with client= the cluster decides")
    if format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as e:
            raise ImportError(
                "Parquet output needs pyarrow: pip install 'pyfacelm[batch]' (or format='csv')"
            ) from e
    jobs, problems = expand(inputs, kind)
    out = Path(os.path.abspath(out_dir))
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        str(out),
        model,
        None if model_dir is None else os.fspath(model_dir),
        max_faces,
        format,
    )
    results: dict[str, InputResult] = {}
    todo: list[tuple[int, Job]] = []
    for job in jobs:
        try:
            stamp = fingerprint(job)
        except OSError as e:
            results[job.source] = _failed(job, f"cannot read: {e.strerror or e}")
            continue
        final = output_path(out, job.name, format)
        meta = read_complete(final, format, {**settings.recorded(), **stamp, "kind": job.mode})
        if meta is None:
            todo.append((stamp["input_size"], job))
        else:
            results[job.source] = InputResult(
                job.source,
                str(final),
                "skipped",
                int(meta.get("frames", 0)),
                int(meta.get("frames_with_face", 0)),
                int(meta.get("rows", 0)),
            )
    # Largest first: the last inputs to finish are short ones, so no worker idles long at the end.
    todo.sort(key=lambda t: -t[0])
    bar = _Progress(len(todo), progress)

    def done(r: InputResult) -> None:
        results[r.input] = r
        bar.update(r)

    try:
        work = [job for _, job in todo]
        if not work:
            pass
        elif client is None:
            n = min(workers or os.cpu_count() or 1, len(work))
            main_pid = os.getpid()

            def make_pool() -> Executor:
                return ProcessPoolExecutor(n, initializer=exit_with_parent, initargs=(main_pid,))

            _run_pool(work, settings, make_pool, n, done)
        elif isinstance(client, Executor):
            _run_executor(work, settings, client, done)
        else:
            _run_dask(work, settings, client, done)
    finally:
        bar.close()
    report = BatchReport(
        str(out),
        [results[j.source] for j in jobs if j.source in results]
        + [InputResult(p.source, None, "failed", error=p.error) for p in problems],
        time.perf_counter() - t0,
        {
            "model": model,
            "model_dir": settings.model_dir,
            "max_faces": max_faces,
            "format": format,
            "kind": kind,
            "engine": _engine(client, workers),
        },
    )
    report.write()
    return report
