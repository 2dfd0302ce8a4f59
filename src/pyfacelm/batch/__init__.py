"""Batch processing of a corpus: many videos, image sequences and images, one output each.

``pyfacelm.batch.run`` (and ``pyfacelm batch`` on the command line) spreads the inputs over a
local pool of worker processes, any :class:`concurrent.futures.Executor`, or a Dask cluster
(``distributed.Client``), writes each output atomically (Parquet or CSV with the CLI's columns)
and skips, on a rerun, every input whose complete output is already there. Needs the ``batch``
extra for Parquet (pyarrow), Dask (``distributed``) and the progress bar (tqdm); importing
:mod:`pyfacelm` does not import any of them.
"""

from __future__ import annotations

from .inputs import KINDS, VIDEO_EXTENSIONS
from .outputs import FORMATS, META_KEY
from .report import REPORT_NAME, BatchReport
from .runner import run
from .task import InputResult

__all__ = [
    "FORMATS",
    "KINDS",
    "META_KEY",
    "REPORT_NAME",
    "VIDEO_EXTENSIONS",
    "BatchReport",
    "InputResult",
    "run",
]
