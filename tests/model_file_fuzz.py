"""Crash-isolating harness for the model-file readers (run as a subprocess by the tests).

Usage: python model_file_fuzz.py CASES.json STATE_FILE WORK_DIR

CASES.json lists {"source", "kind", "seed"}; each case mutates the source file (truncation,
byte flips, a huge int32, or another file's bytes), writes it into WORK_DIR and loads it with
the given reader. Before each case the case is written to STATE_FILE, so that a crash (which
kills this process) can be reported with its reproducing input. Prints one JSON summary line.
"""

from __future__ import annotations

import json
import os
import random
import struct
import sys
import time
from pathlib import Path

MAX_ADDRESS_SPACE = 3 << 30  # a reader that tries to allocate more than this fails the test


def mutate(data: bytes, rng: random.Random, others: list[Path]) -> tuple[str, bytes]:
    kind = rng.choice(["truncate", "flip", "flip", "int32", "swap", "text"])
    b = bytearray(data)
    if kind == "truncate" or len(b) < 16:
        return "truncate", bytes(b[: rng.randrange(0, max(1, len(b)))])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return kind, bytes(b)
    if kind == "int32":
        # Early offsets hold the headers and declared sizes: aim there more often.
        limit = len(b) - 4 if rng.random() < 0.5 else min(len(b) - 4, 4096)
        i = rng.randrange(0, max(1, limit)) & ~3
        b[i : i + 4] = struct.pack("<i", rng.choice([-1, 0, 2**31 - 1, 2**30, 65536, -(2**31)]))
        return kind, bytes(b)
    if kind == "text":
        # Replace one token-like span with junk (useful for text formats).
        i = rng.randrange(len(b))
        junk = rng.choice([b"nan", b"inf", b"-1", b"99999999999", b"abc", b"1e308", b"\x00", b"#"])
        return kind, bytes(b[:i] + junk + b[i + 1 :])
    other = rng.choice(others).read_bytes() if others else b""
    return "swap", other[: rng.randrange(0, max(1, len(other)))] if rng.random() < 0.5 else other


def main() -> int:
    cases = json.loads(Path(sys.argv[1]).read_text())
    state = Path(sys.argv[2])
    work = Path(sys.argv[3])
    # AddressSanitizer reserves terabytes of shadow address space: no limit under it.
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (MAX_ADDRESS_SPACE, MAX_ADDRESS_SPACE))
        except (ImportError, ValueError, OSError):
            pass
    from pyfacelm import _clnf

    sources = sorted({Path(c["source"]) for c in cases})
    cache = {p: p.read_bytes() for p in sources}
    counts = {"loaded": 0, "ModelFormatError": 0, "ModelNotFoundError": 0}
    slowest = 0.0
    for i, case in enumerate(cases):
        src = Path(case["source"])
        rng = random.Random(case["seed"])
        how, data = mutate(cache[src], rng, [p for p in sources if p != src])
        target = work / src.name
        target.write_bytes(data)
        state.write_text(json.dumps({**case, "index": i, "mutation": how, "file": str(target)}))
        t = time.perf_counter()
        try:
            _clnf._load_model_file(str(target), case["kind"])
            counts["loaded"] += 1
        except _clnf.ModelFormatError:
            counts["ModelFormatError"] += 1
        except _clnf.ModelNotFoundError:
            counts["ModelNotFoundError"] += 1
        except Exception as e:  # anything else is a bug: report it with its input
            bad = work / f"failure_{i}_{src.name}"
            bad.write_bytes(data)
            print(json.dumps({"error": repr(e), "case": case, "mutation": how, "saved": str(bad)}))
            return 3
        slowest = max(slowest, time.perf_counter() - t)
    state.write_text("done")
    print(json.dumps({"cases": len(cases), "counts": counts, "slowest_s": slowest}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
