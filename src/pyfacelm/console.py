"""What the command line shows on stderr: a progress line, warnings, and the messages native
libraries (libjpeg, libpng) write straight to the stderr file descriptor, captured so that the
user reads pyfacelm's one-line message instead."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

__all__ = ["CapturedText", "Progress", "captured_native_stderr"]


class Progress:
    """``12/60 images, 3.1/s, ETA 15 s`` rewritten in place on a terminal (nothing otherwise).

    Warnings go through :meth:`warn` so that they start on a line of their own.
    """

    def __init__(
        self, unit: str, total: int | None, *, enabled: bool, stream: TextIO | None = None
    ) -> None:
        self.unit, self.total, self.enabled = unit, total, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self.done = 0
        self._last = 0.0
        self._dirty = False  # a progress line without its newline is on screen

    def update(self, done: int, *, force: bool = False) -> None:
        self.done = done
        now = time.perf_counter()
        if not self.enabled or (not force and now - self._last < 0.2):
            return
        self._last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        msg = f"{done}/{self.total} {self.unit}" if self.total else f"{done} {self.unit}"
        msg += f", {rate:.1f}/s"
        if self.total and rate > 0:
            msg += f", ETA {max(0.0, (self.total - done) / rate):.0f} s"
        self.stream.write("\r" + msg + "   ")
        self.stream.flush()
        self._dirty = True

    def _newline(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self._dirty = False

    def warn(self, message: str) -> None:
        """``pyfacelm: warning: message`` on its own line."""
        self._newline()
        self.stream.write(f"pyfacelm: warning: {message}\n")
        self.stream.flush()

    def close(self) -> None:
        """Show the final count and end the progress line."""
        if self.enabled and self.done:
            self.update(self.done, force=True)
        self._newline()


@dataclass
class CapturedText:
    text: str = ""


@contextmanager
def captured_native_stderr() -> Iterator[CapturedText]:
    """Redirect file descriptor 2 to a temporary file for the duration and hand back what was
    written there (native libraries print warnings such as ``Premature end of JPEG file``
    directly on it). Process-wide: use it only around short calls on the command line's thread."""
    holder = CapturedText()
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. a replaced stream)
        yield holder
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield holder
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            holder.text = tmp.read(1 << 16).decode("utf-8", "replace")
