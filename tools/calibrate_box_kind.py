"""Calibrate ``box_kind="detector"``: a linear map from face-detector boxes to landmark boxes.

OpenFace's fitter starts from the tight box of the 68 landmarks. Face detectors draw other boxes:
dlib's HOG detector a tight square from the brows to the lower lip or chin, WIDER FACE-trained
detectors (MTCNN, RetinaFace) a box from the forehead to the chin, MediaPipe a square of about
that size. One map of OpenFace's form (``x + dx*w, y + dy*h, sw*w, sh*h``) is fitted, by least
squares, to all of these on OpenFace's sample faces, so that each converges.

How (all on the sample images of the reference, faces OpenFace fitted successfully):

1. Target: the tight box of the reference landmarks (``images_clnf.json``), on the sample photos
   ``sample1-6.jpg`` and every 10th frame of ``image_sequence/`` (20 faces).
2. Detector boxes of three families:
   - ``dlib``: dlib's HOG frontal face detector (``dlib.get_frontal_face_detector()``, one
     upsampling), matched to a reference face by IoU >= 0.3; needs ``pip install dlib-bin``.
   - ``mtcnn_raw``: the raw MTCNN box, OpenFace's corrected box with the correction undone.
   - ``square``: the raw MTCNN box made square around its centre (side = mean of w and h), as
     MediaPipe-style detectors give.
3. Least squares per coefficient over the pooled boxes, each family weighted equally.

The boxes used are written to ``tests/data/detector_boxes.json`` (the tests fit from them, without
dlib) and the coefficients are printed; copy them into ``BOX_KINDS["detector"]`` in
``src/pyfacelm/boxes.py``.

Run: ``python tools/calibrate_box_kind.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

MTCNN = (-0.0075, 0.2459, 1.0323, 0.7751)  # OpenFace's raw-MTCNN-to-landmark-box correction
REPO = Path(__file__).resolve().parents[1]


def tight_box(points: list[list[float]]) -> np.ndarray:
    p = np.asarray(points, dtype=float)
    lo, hi = p.min(axis=0), p.max(axis=0)
    return np.r_[lo, hi - lo]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = iw * ih if iw > 0 and ih > 0 else 0.0
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def raw_mtcnn(corrected: np.ndarray) -> np.ndarray:
    dx, dy, sw, sh = MTCNN
    w, h = corrected[2] / sw, corrected[3] / sh
    return np.array([corrected[0] - dx * w, corrected[1] - dy * h, w, h])


def square(b: np.ndarray) -> np.ndarray:
    s = (b[2] + b[3]) / 2
    return np.array([b[0] + b[2] / 2 - s / 2, b[1] + b[3] / 2 - s / 2, s, s])


def dlib_boxes(image_path: Path) -> list[np.ndarray]:
    import cv2
    import dlib

    rgb = cv2.cvtColor(cv2.imread(str(image_path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    rects = dlib.get_frontal_face_detector()(rgb, 1)
    return [np.array([r.left(), r.top(), r.width(), r.height()], dtype=float) for r in rects]


def distinct(key: str) -> bool:
    """One copy of each face: the sample photos, and every 10th frame of the image sequence (the
    16-bit and gray copies of the same pictures would only add weight to the same faces)."""
    if key.startswith("image_sequence/"):
        return int(Path(key).stem) % 10 == 1
    return key.startswith("sample") and key.endswith(".jpg")


def fit_map(pairs: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[float, ...]:
    """Weighted least squares of target = (x + dx*w, y + dy*h, sw*w, sh*h) per coefficient."""
    d = np.array([b for b, _, _ in pairs])
    t = np.array([t for _, t, _ in pairs])
    wt = np.array([w for _, _, w in pairs])

    def ls(u: np.ndarray, v: np.ndarray) -> float:  # v ~ k*u
        return float(np.sum(wt * u * v) / np.sum(wt * u * u))

    return (
        ls(d[:, 2], t[:, 0] - d[:, 0]),
        ls(d[:, 3], t[:, 1] - d[:, 1]),
        ls(d[:, 2], t[:, 2]),
        ls(d[:, 3], t[:, 3]),
    )


def apply(m: tuple[float, ...], b: np.ndarray) -> np.ndarray:
    return np.array([b[0] + m[0] * b[2], b[1] + m[1] * b[3], m[2] * b[2], m[3] * b[3]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--out", default=str(REPO / "tests" / "data" / "detector_boxes.json"))
    args = ap.parse_args()
    shared = Path(args.shared)
    ref = json.loads((shared / "reference" / "images_clnf.json").read_text())
    samples = shared / "openface" / "samples"

    families: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {
        "dlib": [],
        "mtcnn_raw": [],
        "square": [],
    }
    record: dict[str, list[dict[str, object]]] = {}
    for key, entry in ref.items():
        path = samples / key
        if not path.is_file() or not distinct(key):
            continue
        faces = [(i, f) for i, f in enumerate(entry["faces"]) if f["success"]]
        detected = dlib_boxes(path)
        for i, f in faces:
            target = tight_box(f["landmarks"])
            raw = raw_mtcnn(np.asarray(f["bbox"], dtype=float))
            boxes = {"mtcnn_raw": raw, "square": square(raw)}
            scored = sorted(((iou(b, target), k) for k, b in enumerate(detected)), reverse=True)
            if scored and scored[0][0] >= 0.3:
                boxes["dlib"] = detected[scored[0][1]]
            for kind, b in boxes.items():
                families[kind].append((b, target))
                record.setdefault(key, []).append(
                    {"face": i, "kind": kind, "box": [round(float(v), 3) for v in b]}
                )

    pairs = []
    for kind, items in families.items():
        own = np.round(fit_map([(b, t, 1.0) for b, t in items]), 4)
        print(f"{kind}: {len(items)} faces, own map {own}")
        pairs += [(b, t, 1.0 / len(items)) for b, t in items]
    m = fit_map(pairs)
    print("detector map (dx, dy, sw, sh):", tuple(round(v, 4) for v in m))
    for kind, items in families.items():
        errs = [np.abs(apply(m, b) - t) / t[2] for b, t in items]
        print(f"  {kind}: mean |error| of the mapped box / face width: {np.mean(errs):.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps(
            {
                "what": "face boxes of other detectors on the OpenFace samples, by "
                "tools/calibrate_box_kind.py; 'face' indexes images_clnf.json's faces",
                "images": record,
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
