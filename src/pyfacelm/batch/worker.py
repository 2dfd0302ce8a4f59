"""Worker-process housekeeping: its memory, and ending it when the process that started the
pool is gone."""

from __future__ import annotations

import os
import sys
import threading
import time

__all__ = ["exit_with_parent", "worker_rss_mb"]


def worker_rss_mb() -> float | None:
    """This process's resident memory in MiB (Linux: current; elsewhere: peak; None if unknown)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
    except (ImportError, OSError):
        return None


def exit_with_parent(main_pid: int | None = None, interval: float = 0.5) -> None:
    """Pool initializer: end this worker soon after the process that started the pool dies (e.g.
    SIGKILL), instead of waiting forever for work that will never come. A write in progress is
    abandoned under its temporary name, never under the final one.

    Watched: this worker's parent (the main process with the fork and spawn start methods), and
    on POSIX ``main_pid`` itself (with forkserver the parent is the fork server, which outlives
    the main process).
    """
    parent = os.getppid()

    def main_gone() -> bool:
        if os.getppid() != parent:
            return True
        if main_pid is None or os.name != "posix":  # os.kill(pid, 0) would kill on Windows
            return False
        try:
            os.kill(main_pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # exists, owned by someone else: not ours, but not gone either
            return False
        return False

    def watch() -> None:
        while not main_gone():
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="pyfacelm-parent-watch", daemon=True).start()
