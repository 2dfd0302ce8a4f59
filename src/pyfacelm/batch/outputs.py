"""Writing outputs so that a file under its final name is always complete, and recognising them.

Each output is written to a hidden temporary name beside its final name, flushed to disk, and
renamed into place (an atomic step on POSIX and Windows file systems). Its metadata records the
settings, the row count and the input's size and modification time; an output counts as
complete only if that metadata is present and still matches. Parquet keeps the metadata in the
file's footer; CSV (which has no place for it) in a sidecar ``NAME.csv.meta.json``, renamed into
place after the CSV and recording the CSV's size.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "FORMATS",
    "META_KEY",
    "output_path",
    "read_complete",
    "remove_stale_temps",
    "write_csv",
    "write_parquet",
]

FORMATS = ("parquet", "csv")

#: Key of pyfacelm's JSON metadata in a Parquet file's key-value metadata.
META_KEY = b"pyfacelm"

# Integer and text columns of OpenFace's CSV; every other column is a float.
_INT_COLUMNS = ("frame", "face_id", "success", "face")
_TEXT_COLUMNS = ("image",)


def output_path(out_dir: Path, name: str, fmt: str) -> Path:
    return out_dir.joinpath(*name.split("/")).with_name(name.split("/")[-1] + "." + fmt)


def _meta_path(final: Path) -> Path:
    return final.with_name(final.name + ".meta.json")


def _temp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def remove_stale_temps(final: Path) -> None:
    """Delete temporary files a killed run left for this output (one run per folder at a time)."""
    if final.parent.is_dir():
        for p in final.parent.glob(f".{glob_escape(final.name)}.*.tmp"):
            p.unlink(missing_ok=True)


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _fsync_dir(folder: Path) -> None:
    # Make the rename itself durable; not possible (nor needed) on Windows.
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_bytes_atomic(final: Path, data: bytes) -> None:
    tmp = _temp_path(final)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(final: Path, text: str, meta: dict[str, Any]) -> None:
    """Write CSV text and its sidecar metadata, each atomically (the CSV first)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    _meta_path(final).unlink(missing_ok=True)  # an old sidecar must not vouch for a new CSV
    _write_bytes_atomic(final, data)
    meta = {**meta, "output_bytes": len(data)}
    _write_bytes_atomic(_meta_path(final), json.dumps(meta, indent=1).encode("utf-8"))
    _fsync_dir(final.parent)


def _table_from_csv(text: str, columns: list[str]) -> Any:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    def typ(c: str) -> Any:
        if c in _INT_COLUMNS:
            return pa.int64()
        return pa.string() if c in _TEXT_COLUMNS else pa.float64()

    if not text:
        return pa.table({c: pa.array([], typ(c)) for c in columns})
    return pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        convert_options=pacsv.ConvertOptions(column_types={c: typ(c) for c in columns}),
    )


def write_parquet(final: Path, text: str, columns: list[str], meta: dict[str, Any]) -> None:
    """Write the rows of CSV text (the CLI's values, parsed) as Parquet (zstd) with metadata."""
    import pyarrow.parquet as pq

    table = _table_from_csv(text, columns)
    if table.column_names != columns:
        raise RuntimeError(f"unexpected CSV columns for {final.name}")
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode("utf-8")})
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(final)
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(final.parent)


def read_meta(final: Path, fmt: str) -> dict[str, Any] | None:
    """The metadata of a complete output at ``final``, or None (absent, partial, unreadable)."""
    try:
        if fmt == "csv":
            meta: dict[str, Any] = json.loads(_meta_path(final).read_text(encoding="utf-8"))
            return meta if final.stat().st_size == meta.get("output_bytes") else None
        import pyarrow.parquet as pq

        md = pq.read_metadata(final)
        raw = (md.metadata or {}).get(META_KEY)
        if raw is None:
            return None
        meta = json.loads(raw)
        return meta if md.num_rows == meta.get("rows") else None
    except (OSError, ValueError, KeyError):
        return None


def read_complete(final: Path, fmt: str, expected: dict[str, Any]) -> dict[str, Any] | None:
    """The metadata of the output at ``final`` if it is complete and every key of ``expected``
    (settings and the input's fingerprint) has the same value; else None."""
    meta = read_meta(final, fmt)
    if meta is None or any(meta.get(k) != v for k, v in expected.items()):
        return None
    return meta
