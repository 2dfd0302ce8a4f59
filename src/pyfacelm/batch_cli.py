"""``pyfacelm batch INPUTS... -o OUT_DIR``: the command line of :func:`pyfacelm.batch.run`.

Prints a progress bar on a terminal, one line per failed input and a summary; exit code 1 if any
input failed (or models are missing), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_batch_parser", "cmd_batch"]


def add_batch_parser(sub: Any) -> None:
    """Register the ``batch`` subcommand on the CLI's subparsers."""
    p = sub.add_parser(
        "batch",
        help="process many videos/images on all cores or a Dask cluster, resumably",
        description="One output per input (Parquet or CSV with the CLI's columns) in OUT_DIR; "
        "a rerun skips inputs whose complete output is there.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video, image, folder or glob")
    p.add_argument("-o", "--output-dir", required=True, metavar="OUT_DIR")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (cores)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="use a running Dask cluster: tcp://host:8786 or a scheduler file",
    )
    p.add_argument(
        "--kind",
        choices=["auto", "video", "images"],
        default="auto",
        help="auto (default): folders of images are sequences; images: every image alone",
    )
    p.add_argument(
        "--max-faces",
        type=int,
        default=1,
        help="faces to track per video: 1 (default), N, or 0 for no limit",
    )
    p.add_argument(
        "--model",
        default="clnf",
        help="clnf (default), clm, ceclm, clnf_wild, clm_wild, or a main_*.txt path",
    )
    p.add_argument("--model-dir", default=None, help="folder of OpenFace's model files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_batch)


def _client(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError as e:
        raise ImportError(
            "--scheduler needs Dask's distributed: pip install 'pyfacelm[batch]'"
        ) from e
    if os.path.isfile(address):
        return Client(scheduler_file=address)  # type: ignore[no-untyped-call]
    return Client(address)  # type: ignore[no-untyped-call]


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run
    from .cli import UserError

    if args.max_faces < 0:
        raise UserError("--max-faces must be >= 0 (0 = no limit)")
    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be >= 1")
    if args.scheduler and args.workers is not None:
        raise UserError("--workers sizes the local pool; with --scheduler the cluster decides")
    client = None
    try:
        if args.scheduler:
            try:
                client = _client(args.scheduler)
            except OSError as e:  # includes timeouts connecting to the scheduler
                raise UserError(f"cannot connect to Dask scheduler {args.scheduler}: {e}") from e
        report = run(
            args.inputs,
            args.output_dir,
            model=args.model,
            model_dir=args.model_dir,
            kind=args.kind,
            max_faces=None if args.max_faces == 0 else args.max_faces,
            format=args.format,
            client=client,
            workers=args.workers,
            progress=not args.quiet and sys.stderr.isatty(),
        )
    except ValueError as e:
        raise UserError(str(e)) from e
    finally:
        if client is not None:
            client.close()
    for r in report.failed:
        print(f"pyfacelm: failed: {r.input}: {r.error}", file=sys.stderr)
    if not args.quiet:
        print(f"pyfacelm: {report}", file=sys.stderr)
    return 0 if report.ok else 1
