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
    "OutputFile",
    "read_complete",
    "read_meta",
    "remove_stale_temps",
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
        for p in final.parent.glob(f".{_glob_escape(final.name)}.*.tmp"):
            p.unlink(missing_ok=True)


def _glob_escape(name: str) -> str:
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


def _arrow_type(column: str) -> Any:
    import pyarrow as pa

    if column in _INT_COLUMNS:
        return pa.int64()
    return pa.string() if column in _TEXT_COLUMNS else pa.float64()


class OutputFile:
    """An output being written: CSV lines in (the ``out`` of a
    :class:`pyfacelm.csv_output.CsvWriter`), a file under a temporary name out, renamed into
    place by :meth:`commit`. Parquet is converted in chunks of rows, so memory does not grow
    with the length of a video; its values are the CSV text's, parsed.

    Use as a context manager: leaving it without :meth:`commit` removes the temporary file.
    """

    #: Rows per Parquet conversion (and row group).
    CHUNK = 4096

    def __init__(self, final: Path, fmt: str, columns: list[str]) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        self.final = final
        self._fmt = fmt
        self._columns = columns
        self._header = ",".join(columns) + "\n"
        self._pending: list[str] = []
        self._writer: Any = None
        self._saw_header = False
        self.rows = 0
        self.bytes = 0  # of CSV written
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(final)
        self._tmp = _temp_path(final)
        self._fh = open(self._tmp, "wb")  # noqa: SIM115 - closed by commit() or __exit__

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._fh.closed:
            if self._writer is not None:
                self._writer.close()
            self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def write(self, text: str) -> int:
        """Take whole CSV lines (the header first, as CsvWriter writes it)."""
        if not self._saw_header and text == self._header:
            self._saw_header = True
            if self._fmt == "csv":
                self._put(text)
            return len(text)
        self.rows += text.count("\n")
        if self._fmt == "csv":
            self._put(text)
        else:
            self._pending.append(text)
            if len(self._pending) >= self.CHUNK:
                self._flush_parquet()
        return len(text)

    def _put(self, text: str) -> None:
        data = text.encode("utf-8")
        self.bytes += len(data)
        self._fh.write(data)

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        from pyarrow import csv as pacsv

        if self._writer is None:
            schema = pa.schema([(c, _arrow_type(c)) for c in self._columns])
            self._writer = pq.ParquetWriter(self._fh, schema, compression="zstd")
        if not self._pending:
            return
        table = pacsv.read_csv(
            io.BytesIO("".join(self._pending).encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=self._columns),
            convert_options=pacsv.ConvertOptions(
                column_types={c: _arrow_type(c) for c in self._columns}
            ),
        )
        self._pending.clear()
        self._writer.write_table(table)

    def commit(self, meta: dict[str, Any]) -> None:
        """Finish the file, record ``meta`` (plus ``rows``) in it and rename it into place."""
        meta = {**meta, "rows": self.rows}
        if self._fmt == "csv":
            if not self._saw_header:  # no rows: still a CSV with its header
                self._put(self._header)
            meta["output_bytes"] = self.bytes
            _meta_path(self.final).unlink(missing_ok=True)  # must not vouch for the new CSV
        else:
            self._flush_parquet()
            self._writer.add_key_value_metadata({META_KEY: json.dumps(meta).encode("utf-8")})
            self._writer.close()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.final)
        if self._fmt == "csv":
            _write_bytes_atomic(_meta_path(self.final), json.dumps(meta, indent=1).encode())
        _fsync_dir(self.final.parent)


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
