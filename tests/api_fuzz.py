"""Crash-isolating random harness for the public API (run as a subprocess by the tests).

Usage: python api_fuzz.py MODEL_DIR SEED N_CASES STATE_FILE OUT_DIR [--replay I | -] [SAMPLES_DIR]

Case i is generated from Random(SEED * 1_000_003 + i) alone, so any case can be replayed
(`--replay I`). Before a case runs, its description goes to STATE_FILE (and its image, if small,
to OUT_DIR/last_case.npz), so a crash that kills this process leaves its reproducer behind.
A call must return a result (finite numbers) or raise one of the documented exceptions; anything
else is saved to OUT_DIR and reported. Prints one JSON summary line.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import pyfacelm

DOCUMENTED = (TypeError, ValueError, pyfacelm.ModelNotFoundError)
MAX_ADDRESS_SPACE = 6 << 30


def rand_float(rng: random.Random) -> float:
    return rng.choice(
        [
            rng.uniform(-50, 700),
            rng.uniform(-1e4, 1e4),
            rng.uniform(0, 3),
            0.0,
            -0.0,
            float("nan"),
            float("inf"),
            -float("inf"),
            1e30,
            -1e30,
            1e-30,
            rng.uniform(50, 250),
        ]
    )


def rand_image(rng: random.Random, shape: tuple[int, ...] | None = None) -> Any:
    kind = rng.random()
    if shape is not None and kind > 0.1:
        return face_like(rng, shape)
    if kind < 0.04:
        return rng.choice([None, [[1, 2], [3, 4]], "image", 3.5, np.zeros(5, np.uint8)])
    if kind < 0.5:
        return face_like(
            rng,
            (
                rng.choice([48, 120, 240, 480, rng.randint(24, 700)]),
                rng.choice([64, 160, 320, 640, rng.randint(24, 700)]),
                3,
            ),
        )
    dtype = rng.choices(
        [
            np.uint8,
            np.uint16,
            np.dtype(">u2"),
            np.float32,
            np.float64,
            np.int8,
            np.int32,
            bool,
            np.uint64,
        ],
        weights=[70, 8, 3, 4, 3, 3, 3, 3, 3],
    )[0]
    h = rng.choice([0, 1, 2, 5, 11, 12, 24, 47, 60, 64, 120, 240, 333, 480, rng.randint(1, 900)])
    w = rng.choice([0, 1, 2, 7, 12, 24, 48, 64, 160, 320, 640, rng.randint(1, 900)])
    ch = rng.choices([None, 1, 2, 3, 4, 5], weights=[30, 5, 3, 55, 5, 2])[0]
    shape = (h, w) if ch is None else (h, w, ch)
    fill = rng.choice(["zeros", "max", "noise", "gradient"])
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "ui" else None
    hi = info.max if info is not None else 1.0
    if fill == "zeros":
        a = np.zeros(shape, dtype)
    elif fill == "max":
        a = np.full(shape, hi, dtype)
    elif fill == "noise":
        a = (np.random.default_rng(rng.randrange(1 << 30)).random(shape) * float(hi)).astype(dtype)
    else:
        g = np.linspace(0, float(hi), max(1, w), dtype=np.float64)
        with np.errstate(invalid="ignore"):
            a = np.broadcast_to(g.reshape((1, -1) + ((1,) if ch else ())), shape).astype(dtype)
    # Strided, reversed and transposed views of the same data.
    view = rng.random()
    if view < 0.15 and a.ndim >= 2:
        a = a[:: rng.choice([1, 2, 3]), :: rng.choice([1, -1, 2])]
    elif view < 0.25:
        a = np.asfortranarray(a)
    elif view < 0.3 and a.ndim >= 2:
        a = a.swapaxes(0, 1)
    return a


_SAMPLES: list[np.ndarray] = []


def face_like(rng: random.Random, shape: tuple[int, ...]) -> np.ndarray:
    """A uint8 image of `shape` made from real faces (if available), noise or a flat colour."""
    h, w = shape[0], shape[1]
    r = rng.random()
    if _SAMPLES and r < 0.6:
        src = _SAMPLES[rng.randrange(len(_SAMPLES))]
        y = rng.randint(0, max(0, src.shape[0] - h))
        x = rng.randint(0, max(0, src.shape[1] - w))
        crop = np.zeros((h, w, 3), np.uint8)
        part = src[y : y + h, x : x + w]
        crop[: part.shape[0], : part.shape[1]] = part
        img = crop
    elif r < 0.8:
        img = np.random.default_rng(rng.randrange(1 << 30)).integers(
            0, 256, (h, w, 3), dtype=np.uint8
        )
    else:
        img = np.full((h, w, 3), rng.randrange(256), np.uint8)
    if len(shape) == 2:
        return np.ascontiguousarray(img[:, :, 1])
    return img


def rand_box(rng: random.Random, img: Any) -> Any:
    r = rng.random()
    if r < 0.03:
        return rng.choice([None, (1, 2, 3), "box", (1, 2, 3, 4, 5), [[1, 2], [3, 4]]])
    if r < 0.2:
        return tuple(rand_float(rng) for _ in range(4))
    H, W = img.shape[:2] if isinstance(img, np.ndarray) and img.ndim >= 2 else (100, 100)
    w = rng.uniform(1, max(2, W * 1.5))
    h = rng.uniform(1, max(2, H * 1.5))
    return (rng.uniform(-w, W), rng.uniform(-h, H), w, h)


def rand_intrinsics(rng: random.Random) -> Any:
    r = rng.random()
    if r < 0.85:
        return None
    if r < 0.93:
        return (
            rng.uniform(100, 1000),
            rng.uniform(100, 1000),
            rng.uniform(0, 640),
            rng.uniform(0, 480),
        )
    return tuple(rand_float(rng) for _ in range(rng.choice([3, 4, 5])))


def check_faces(faces: Any) -> None:
    for f in faces if isinstance(faces, list) else [faces]:
        for name in ("landmarks", "landmarks_3d", "params_global", "params_local", "pose", "box"):
            v = getattr(f, name)
            if not np.all(np.isfinite(v)):
                raise AssertionError(f"non-finite {name} in a returned Face")
        for name in ("eye_landmarks", "eye_landmarks_3d", "gaze_0", "gaze_1", "gaze_angle"):
            v = getattr(f, name)
            if v is not None and not np.all(np.isfinite(v)):
                raise AssertionError(f"non-finite {name} in a returned Face")
        g = f.gaze_0
        if g is not None and g.any() and abs(float(np.linalg.norm(g)) - 1) > 1e-5:
            raise AssertionError("gaze_0 is neither zero nor a unit vector")
        if not (0.0 <= f.confidence <= 1.0) or not math.isfinite(f.model_likelihood) and f.success:
            raise AssertionError("confidence out of range")


def run_case(
    det: pyfacelm.CLNFDetector, state: dict[str, Any], rng: random.Random
) -> tuple[str, Any]:
    op = rng.choices(
        ["fit", "detect_faces", "detect", "track", "to_gray", "pdm"], weights=[35, 15, 5, 30, 10, 5]
    )[0]
    img = rand_image(rng)
    color = rng.choices(["bgr", "rgb", "hsv"], weights=[70, 25, 5])[0]
    if op == "fit":
        return op, lambda: check_faces(
            det.fit(
                img,
                rand_box(rng, img),
                color=color,
                intrinsics=rand_intrinsics(rng),
                multi_view=rng.random() < 0.1,
            )
        )
    if op == "detect_faces":
        mf = rng.choice([60, 60, 20, 12, 200, 0, -5, float("nan"), 1e9])
        return op, lambda: det.detect_faces(img, color=color, min_face=mf)
    if op == "detect":
        return op, lambda: check_faces(
            det.detect(img, color=color, intrinsics=rand_intrinsics(rng))
        )
    if op == "track":
        if "tracker" not in state or rng.random() < 0.05:
            state["tracker"] = det.tracker(max_faces=rng.choice([1, 1, 2, None]))
        if rng.random() < 0.05:
            state["tracker"].reset()
        if "shape" not in state or rng.random() < 0.03:
            state["shape"] = rng.choice([(240, 320, 3), (120, 160, 3), (480, 640, 3), (100, 100)])
        frame = rand_image(rng, state["shape"])
        t = state["tracker"]
        return op, lambda: check_faces(
            t.update(frame, color=color, intrinsics=rand_intrinsics(rng))
        )
    if op == "to_gray":
        return op, lambda: pyfacelm.to_gray(img, color=color)
    pdm = state["pdm"]
    n = pdm.n_points
    lm = (
        np.array([[rand_float(rng), rand_float(rng)] for _ in range(n)])
        if rng.random() < 0.5
        else None
    )
    g = [rand_float(rng) for _ in range(rng.choice([5, 6, 6, 6, 7]))]
    if lm is not None:
        return op, lambda: pdm.fit_landmarks(lm)
    return op, lambda: (pdm.project(g), pdm.jacobian(g), pdm.params_from_box(g[:4]))


def main() -> int:
    model_dir, seed, n, state_file, out_dir = sys.argv[1:6]
    replay = int(sys.argv[7]) if len(sys.argv) > 7 and sys.argv[6] == "--replay" else None
    # Argument 7 is "-" when no replay is wanted but a samples folder follows.
    seed_i, n_i = int(seed), int(n)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # AddressSanitizer reserves terabytes of shadow address space: no limit under it.
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (MAX_ADDRESS_SPACE, MAX_ADDRESS_SPACE))
        except (ImportError, ValueError, OSError):
            pass
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    samples = Path(sys.argv[8] if len(sys.argv) > 8 else "")
    if samples.is_dir():
        import cv2

        for name in ("sample1.jpg", "sample2.jpg", "sample4.jpg", "sample6.jpg"):
            img = cv2.imread(str(samples / name))
            if img is not None:
                _SAMPLES.append(img)
    state: dict[str, Any] = {
        "pdm": pyfacelm.PDM(str(Path(model_dir) / "pdms/In-the-wild_aligned_PDM_68.txt"))
    }
    counts: dict[str, int] = {}
    start = time.time()
    cases = [replay] if replay is not None else range(n_i)
    for i in cases:
        rng = random.Random(seed_i * 1_000_003 + i)
        op, call = run_case(det, state, rng)
        Path(state_file).write_text(json.dumps({"seed": seed_i, "case": i, "op": op}))
        try:
            call()
            key = f"{op}:ok"
        except DOCUMENTED as e:
            key = f"{op}:{type(e).__name__}"
        except Exception as e:  # anything else is a bug: report with its reproducer
            report = {"seed": seed_i, "case": i, "op": op, "error": repr(e)[:2000]}
            (out / f"failure_{seed_i}_{i}.json").write_text(json.dumps(report))
            print(json.dumps({"failure": report}))
            return 3
        counts[key] = counts.get(key, 0) + 1
    Path(state_file).write_text("done")
    print(
        json.dumps(
            {"cases": len(cases), "seconds": round(time.time() - start, 1), "counts": counts}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
