"""Honest comparison with the original OpenFace across machines.

The original's single-thread times (``timings_calibrated.json`` in the reference folder) were
measured together with a fixed calibration workload (``bench/calibrate.sh`` in the shared folder:
float cross-correlation, small matrix-vector products, a random gather). Machines of one kind
differ by tens of percent, so a benchmark runs the same calibration here, pinned to the same core
it measures on, and scales: expected original time here = original_ms x geomean_ms(here) /
geomean_ms(reference).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from _common import REFERENCE, SHARED

CALIBRATE = SHARED / "bench" / "calibrate.sh"


@dataclass(frozen=True)
class Calibration:
    here_ms: float  # geomean of this machine's calibration figures
    reference_ms: float  # the same, measured beside the original's timings
    figures: dict[str, float]

    @property
    def scale(self) -> float:
        """Expected original time here = original time there x scale."""
        return self.here_ms / self.reference_ms


def reference_rows() -> list[dict]:
    return json.loads((REFERENCE / "timings_calibrated.json").read_text())["rows"]


def original_ms(measurement_prefix: str) -> float:
    """The original's time (ms) of the row whose measurement starts with the prefix."""
    rows = [r for r in reference_rows() if r["measurement"].startswith(measurement_prefix)]
    if len(rows) != 1:
        raise KeyError(f"no single reference row starts with {measurement_prefix!r}")
    return float(rows[0]["original_ms"])


def pin(cpu: int) -> None:
    """Run this process (and every thread it starts later) on one core, as the reference did."""
    os.sched_setaffinity(0, {cpu})
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass


def wait_until_idle(max_wait_s: float = 300.0, threshold: float = 1.0) -> float:
    """Wait (bounded) for the 1-minute load average to drop to `threshold`; returns it."""
    t0 = time.monotonic()
    while os.getloadavg()[0] > threshold and time.monotonic() - t0 < max_wait_s:
        time.sleep(5)
    return os.getloadavg()[0]


def calibrate(cpu: int, runs: int = 3) -> Calibration:
    """Median over `runs` of this machine's calibration figures, pinned to `cpu`."""
    ref = json.loads((REFERENCE / "timings_calibrated.json").read_text())["calibration"]
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        out = subprocess.run(
            ["bash", str(CALIBRATE)],
            env={**os.environ, "CALIBRATE_CPU": str(cpu)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        samples.append(json.loads(out.strip().splitlines()[-1]))
    figures = {k: sorted(s[k] for s in samples)[len(samples) // 2] for k in samples[0]}
    return Calibration(float(figures["geomean_ms"]), float(ref["geomean_ms"]), figures)


def describe(cal: Calibration, cpu: int) -> str:
    load = os.getloadavg()
    return (
        f"calibration on cpu {cpu}: geomean {cal.here_ms:.2f} ms here vs "
        f"{cal.reference_ms:.2f} ms beside the original (scale {cal.scale:.3f}); "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def ratio_line(label: str, ours_ms: float, orig_ms: float, cal: Calibration) -> str:
    expected = orig_ms * cal.scale
    return (
        f"{label:58s} ours {ours_ms:8.2f} ms | original {orig_ms:8.2f} ms "
        f"(expected here {expected:8.2f}) | raw ratio {ours_ms / orig_ms:.3f} | "
        f"calibrated ratio {ours_ms / expected:.3f}"
    )


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"
