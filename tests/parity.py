"""Measuring parity with the original OpenFace (../shared/reference).

One place computes every difference the parity tests assert and the README's parity table
shows: ``tests/test_fit.py``, ``test_detect.py``, ``test_video.py`` and ``test_simd.py`` check
the summaries against ``parity_tolerances.TOLERANCES``; ``benchmarks/parity_report.py`` prints
them. The tolerances sit just above the state measured with this code (``parity_report.py
--measure`` prints each measured value next to its tolerance), so any regression a user could
notice fails a test. The ``*_run`` functions cache their results for the process: the README
check (tests/test_parity_report.py) reuses what the parity tests computed.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import pyfacelm
from pyfacelm.kernels import SIMD_ENV_VAR
from pyfacelm.video import iter_video

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYFACELM_SHARED_DIR", REPO.parent / "shared"))
REFERENCE = SHARED / "reference"
SAMPLES = SHARED / "openface" / "samples"
SYNTH_CEN = SHARED / "openface" / "synthetic_cen"

# (label, model, reference file, model variant, multi_view)
FIT_RUNS = [
    ("CLNF", "clnf", "images_clnf.json", None, False),
    ("CLM", "clm", "images_clm.json", None, False),
    ("CE-CLM synth", "ceclm", "images_ceclm_synth.json", "stock", False),
    ("CE-CLM synth multi-view", "ceclm", "images_ceclm_synth_multiview.json", "stock", True),
    ("CE-CLM synth cutoff 100", "ceclm", "images_ceclm_synth_et100.json", "et100", False),
    (
        "CE-CLM synth cutoff 100 multi-view",
        "ceclm",
        "images_ceclm_synth_et100_multiview.json",
        "et100",
        True,
    ),
]
VIDEOS = ["default", "changeLighting", "2015-10-15-15-14", "multi_face", "image_sequence"]


def load_image(key: str) -> np.ndarray:
    import cv2  # the test extra; imported here so that the tests can skip without it

    # The reference decoded every sample (16-bit PNGs included) with IMREAD_COLOR. Keys
    # "extra_images/<file>" name the further images kept in shared/extra/images.
    extra = key.removeprefix("extra_images/")
    path = SHARED / "extra" / "images" / extra if extra != key else SAMPLES / key
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(path)
    return img


def reference(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / name).read_text())
    return data


def ceclm_model_dir(model_dir: Path, variant: str, root: Path) -> Path:
    """A model folder under `root`: OpenFace's files plus the synthetic CEN files, with the stock
    early-termination file ('stock') or the one whose cutoffs are all 100 ('et100')."""
    if not (SYNTH_CEN / "patch_experts").is_dir():
        raise FileNotFoundError(f"synthetic CEN files not available at {SYNTH_CEN}")
    root.mkdir(parents=True, exist_ok=True)
    for item in model_dir.iterdir():
        if item.name != "patch_experts":
            (root / item.name).symlink_to(item)
    (root / "patch_experts").mkdir()
    for item in (model_dir / "patch_experts").iterdir():
        (root / "patch_experts" / item.name).symlink_to(item)
    for item in (SYNTH_CEN / "patch_experts").glob("*.dat"):
        (root / "patch_experts" / item.name).symlink_to(item)
    if variant == "et100":
        (root / "early_term_cen_of.txt").unlink()
        shutil.copy(SYNTH_CEN / "early_term_cen_of_cutoff100.txt", root / "early_term_cen_of.txt")
    elif variant != "stock":
        raise ValueError(variant)
    return root


# ---------------------------------------------------------------------------------------------
# Fits from the reference boxes


@dataclass
class FaceDiff:
    """One face fitted from the reference box, against the reference."""

    key: str
    index: int
    dist: float  # mean landmark distance, px
    success: bool  # equal?
    detection_success: bool
    view: bool
    confidence: float  # absolute difference
    likelihood_rel: float  # |model_likelihood difference| / |reference|
    landmark_likelihood_rel: float  # max over visible landmarks, relative
    local_sigma: float  # max over modes of |params_local difference| / sqrt(eigenvalue)
    global_diff: float  # max of scale/tx/ty relative and rotations (rad)
    landmarks_3d: float  # max point distance, mm
    pose_t: float  # max translation difference, mm
    pose_r: float  # max rotation difference, rad
    eye: float | None  # mean eye landmark distance, px (None: no eye models)


def fit_diffs(
    det: pyfacelm.CLNFDetector, ref: dict[str, Any], *, multi_view: bool = False
) -> list[FaceDiff]:
    """Fit every reference face from its box and compare every field the reference has."""
    pdm = pyfacelm.PDM(str(det.model_dir / "pdms" / "In-the-wild_aligned_PDM_68.txt"))
    sqrt_lambda = np.sqrt(pdm.eigenvalues)
    rows = []
    for key, entry in ref.items():
        img = load_image(key)
        for i, face in enumerate(entry["faces"]):
            f = det.fit(img, face["bbox"], multi_view=multi_view)
            g, g_ref = f.params_global, np.array(face["params_global"])
            p_diff = np.abs(f.params_local - np.array(face["params_local"]))
            l3d = np.linalg.norm(f.landmarks_3d - np.array(face["landmarks_3d"]), axis=1)
            rel = np.abs(g - g_ref) / np.abs(g_ref)
            ll, ll_ref = f.landmark_likelihoods, np.array(face["landmark_likelihoods"])
            visible = ll_ref > -1e7
            ll_rel = np.abs(ll - ll_ref)[visible] / np.maximum(np.abs(ll_ref[visible]), 1e-6)
            eye = None
            if f.eye_landmarks is not None:
                eye = float(
                    np.linalg.norm(f.eye_landmarks - np.array(face["eye_landmarks"]), axis=1).mean()
                )
            rows.append(
                FaceDiff(
                    key=key,
                    index=i,
                    dist=float(
                        np.linalg.norm(f.landmarks - np.array(face["landmarks"]), axis=1).mean()
                    ),
                    success=f.success == face["success"],
                    detection_success=f.detection_success == face["detection_success"],
                    view=f.view == face["view_used"],
                    confidence=abs(f.confidence - face["confidence"]),
                    likelihood_rel=abs(f.model_likelihood - face["model_likelihood"])
                    / abs(face["model_likelihood"]),
                    landmark_likelihood_rel=float(ll_rel.max()) if ll_rel.size else 0.0,
                    local_sigma=float((p_diff / sqrt_lambda).max()),
                    global_diff=float(max(rel[[0, 4, 5]].max(), np.abs(g - g_ref)[1:4].max())),
                    landmarks_3d=float(l3d.max()),
                    pose_t=float(np.abs(f.pose[:3] - np.array(face["pose"][:3])).max()),
                    pose_r=float(np.abs(f.pose[3:] - np.array(face["pose"][3:])).max()),
                    eye=eye,
                )
            )
    return rows


def fit_summary(rows: list[FaceDiff]) -> dict[str, float]:
    """The statistics the tolerances bound (and the README shows)."""
    dist = np.array([r.dist for r in rows])
    lik = np.array([r.likelihood_rel for r in rows])
    eyes = np.array([r.eye for r in rows if r.eye is not None])
    glob = np.array([r.global_diff for r in rows])
    return {
        "faces": len(rows),
        "dist_frac_le_0.1": float((dist <= 0.1).mean()),
        "dist_max": float(dist.max()),
        "dist_median": float(np.median(dist)),
        "success_mismatches": sum(not r.success for r in rows),
        "detection_success_mismatches": sum(not r.detection_success for r in rows),
        "view_mismatches": sum(not r.view for r in rows),
        "confidence_max": max(r.confidence for r in rows),
        "likelihood_rel_frac_le_1e-2": float((lik <= 1e-2).mean()),
        "likelihood_rel_p95": float(np.percentile(lik, 95)),
        "landmark_likelihood_rel_p95": float(
            np.percentile([r.landmark_likelihood_rel for r in rows], 95)
        ),
        "local_sigma_max": max(r.local_sigma for r in rows),
        "global_p95": float(np.percentile(glob, 95)),
        "global_max": float(glob.max()),
        "landmarks_3d_max_mm": max(r.landmarks_3d for r in rows),
        "pose_t_max_mm": max(r.pose_t for r in rows),
        "pose_r_max_rad": max(r.pose_r for r in rows),
        "eye_frac_le_0.1": float((eyes <= 0.1).mean()) if eyes.size else 1.0,
        "eye_max": float(eyes.max()) if eyes.size else 0.0,
    }


def stage_summary(model_dir: Path, model: str) -> dict[str, float]:
    """The main model alone (no parts, no validation) after 1, 2 and 3 scales, from the
    reference's initial parameters, against the reference's `stages_main_model_only`: where
    the fits part, if they do."""
    from pyfacelm import _clnf  # the compiled core's stage-by-stage hook

    config = _clnf.read_main_config(str(model_dir / f"main_{model}_general.txt"))
    main = _clnf._LandmarkModel(config["landmark_detector"], [[11], [9], [7]])
    dists: dict[int, list[float]] = {1: [], 2: [], 3: []}
    for key, entry in reference(f"images_{model}.json").items():
        img = load_image(key)
        for face in entry["faces"]:
            start = face["init_from_bbox"]["params_global"]
            for stage in face["stages_main_model_only"]:
                r = main.fit(img, start, window_sizes=stage["window_sizes"])
                d = np.linalg.norm(r.landmarks - np.array(stage["landmarks"]), axis=1)
                dists[stage["scales_used"]].append(float(d.mean()))
    return {f"stage{k}_dist_max": max(v) for k, v in dists.items()} | {"faces": len(dists[3])}


# ---------------------------------------------------------------------------------------------
# MTCNN


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter))


def mtcnn_summary(det: pyfacelm.CLNFDetector, ref: dict[str, Any]) -> dict[str, float]:
    """Boxes of every sample image against the reference's, in order (box i with box i)."""
    count_mismatches, ious, scores, boxes = 0, [], [], 0
    for key, entry in ref.items():
        found = det.detect_faces(load_image(key))
        if len(found) != len(entry["faces"]):
            count_mismatches += 1
            continue
        for b, face in zip(found, entry["faces"]):
            ious.append(iou(b[:4], np.array(face["bbox"])))
            scores.append(abs(b[4] - face["bbox_confidence"]))
            boxes += 1
    return {
        "images": len(ref),
        "boxes": boxes,
        "count_mismatches": count_mismatches,
        "iou_min": min(ious),
        "score_max": max(scores),
    }


# ---------------------------------------------------------------------------------------------
# Tracking


def video_reference(name: str, model: str) -> dict[str, Any]:
    return reference(f"video_{name}{'' if model == 'clnf' else '_' + model}.json")


def video_frames(ref: dict[str, Any]) -> Iterator[np.ndarray]:
    n = 0
    for frame in iter_video(SAMPLES / ref["source"]["path"]):
        yield frame
        n += 1
        if n == ref["n_frames"]:
            return
    path, want = ref["source"]["path"], ref["n_frames"]
    raise AssertionError(f"{path}: {n} frames decoded, the reference has {want}")


def frames_differing_from_reference(name: str, frames: list[np.ndarray]) -> set[int]:
    """Frames whose decoded pixels differ from the reference decoder's (REFERENCE/frames_md5.json).
    The image sequence has no entry: its JPEGs decode bit-identically (REFERENCE/README.md)."""
    md5 = json.loads((REFERENCE / "frames_md5.json").read_text()).get(name)
    if md5 is None:
        return set()
    got = [hashlib.md5(np.ascontiguousarray(f).tobytes()).hexdigest() for f in frames]
    return {i for i, (a, b) in enumerate(zip(got, md5)) if a != b}


@dataclass
class VideoDiff:
    name: str
    model: str
    frames: int
    differing_frames: list[int]  # decoded pixels differ from the reference's
    tracked: list[int]  # frames where both track the face
    dists: np.ndarray  # per tracked frame: mean landmark distance, px
    face_count_mismatches: list[int]  # frames where one side tracks a face and the other not
    success_mismatches: list[int]  # frame indices
    redetect_ours: list[int]
    redetect_ref: list[int]

    @property
    def success_mismatches_on_identical_frames(self) -> list[int]:
        return [i for i in self.success_mismatches if i not in set(self.differing_frames)]

    @property
    def one_sided_redetections(self) -> list[int]:
        """Frames where only one side re-detected (and so compares a fresh fit with a track)."""
        return sorted(set(self.redetect_ours) ^ set(self.redetect_ref))


def video_diff(det: pyfacelm.CLNFDetector, name: str, model: str) -> VideoDiff:
    ref = video_reference(name, model)
    frames = list(video_frames(ref))
    tracker = det.tracker()
    tracked, dists, count_bad, success_bad, ours, theirs = [], [], [], [], [], []
    for i, (frame, rf) in enumerate(zip(frames, ref["frames"])):
        faces = tracker.update(frame)
        if tracker.last_event["redetect_attempted"]:
            ours.append(i)
        if rf["event"]["redetect_attempted"]:
            theirs.append(i)
        if len(faces) != (1 if rf["tracking_initialised"] else 0):
            count_bad.append(i)
            continue
        if faces:
            f = faces[0]
            tracked.append(i)
            dists.append(np.linalg.norm(f.landmarks - np.array(rf["landmarks"]), axis=1).mean())
            if f.success != rf["success"]:
                success_bad.append(i)
    return VideoDiff(
        name=name,
        model=model,
        frames=len(frames),
        differing_frames=sorted(frames_differing_from_reference(name, frames)),
        tracked=tracked,
        dists=np.array(dists),
        face_count_mismatches=count_bad,
        success_mismatches=success_bad,
        redetect_ours=ours,
        redetect_ref=theirs,
    )


def video_summary(d: VideoDiff) -> dict[str, float]:
    one_sided = set(d.one_sided_redetections)
    rest = [x for i, x in zip(d.tracked, d.dists) if i not in one_sided]
    return {
        "frames": d.frames,
        "differing_frames": len(d.differing_frames),
        "median": float(np.median(d.dists)),
        "p95": float(np.percentile(d.dists, 95)),
        "max": float(d.dists.max()),
        "max_without_one_sided_redetections": float(max(rest)),
        "one_sided_redetection_frames": len(one_sided),
        "face_count_mismatches": len(d.face_count_mismatches),
        "success_mismatches": len(d.success_mismatches),
        "success_mismatches_on_identical_frames": len(d.success_mismatches_on_identical_frames),
    }


# ---------------------------------------------------------------------------------------------
# Checking


def violations(summary: dict[str, float], tolerances: dict[str, float]) -> list[str]:
    """Every statistic outside its tolerance ('_frac' and '_min' statistics are lower bounds)."""
    out = []
    for name, tol in tolerances.items():
        got = summary[name]
        lower = "_frac" in name or name.endswith("_min")
        if got < tol if lower else got > tol:
            op = ">=" if lower else "<="
            out.append(f"{name} = {got:.6g} (tolerance {op} {tol:g})")
    return out


# ---------------------------------------------------------------------------------------------
# Cached runs (one per process): what the tests assert and the report prints.


@cache
def ceclm_dirs(model_dir: Path) -> dict[str, Path]:
    """Both synthetic CE-CLM model folders, in a temporary folder removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="pyfacelm-ceclm-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return {v: ceclm_model_dir(model_dir, v, root / v) for v in ("stock", "et100")}


@cache
def fit_run(model_dir: Path, label: str) -> tuple[list[FaceDiff], dict[str, float]]:
    """One of FIT_RUNS by label: per-face differences and their summary."""
    _, model, ref_name, variant, multi_view = next(r for r in FIT_RUNS if r[0] == label)
    folder = model_dir if variant is None else ceclm_dirs(model_dir)[variant]
    det = pyfacelm.CLNFDetector(model, folder)
    rows = fit_diffs(det, reference(ref_name), multi_view=multi_view)
    return rows, fit_summary(rows)


@cache
def stage_run(model_dir: Path, model: str) -> dict[str, float]:
    return stage_summary(model_dir, model)


@cache
def portable_kernel_detector(model_dir: Path) -> pyfacelm.CLNFDetector:
    """A CLNF detector whose validator and MTCNN were loaded with PYFACELM_SIMD=baseline."""
    previous = os.environ.get(SIMD_ENV_VAR)
    os.environ[SIMD_ENV_VAR] = "baseline"
    try:
        det = pyfacelm.CLNFDetector("clnf", model_dir)
        det.detect_faces(np.zeros((64, 64, 3), np.uint8))  # loads the MTCNN now
        if pyfacelm.simd() != "baseline":
            raise RuntimeError(f"{SIMD_ENV_VAR}=baseline was not honoured")
    finally:
        if previous is None:
            del os.environ[SIMD_ENV_VAR]
        else:
            os.environ[SIMD_ENV_VAR] = previous
    return det


@cache
def mtcnn_run(model_dir: Path, kernel: str) -> dict[str, float]:
    """MTCNN on the samples with the default ('default') or the portable ('baseline') kernel."""
    if kernel == "baseline":
        det = portable_kernel_detector(model_dir)
    else:
        det = pyfacelm.CLNFDetector("clnf", model_dir)
    return mtcnn_summary(det, reference("images_clnf.json"))


@cache
def portable_kernel_fit_run(model_dir: Path) -> dict[str, float]:
    """The CLNF fits (whose success and confidence the validator CNN decides), portable kernel."""
    det = portable_kernel_detector(model_dir)
    return fit_summary(fit_diffs(det, reference("images_clnf.json")))


@cache
def video_run(model_dir: Path, name: str, model: str) -> tuple[VideoDiff, dict[str, float]]:
    d = video_diff(pyfacelm.CLNFDetector(model, model_dir), name, model)
    return d, video_summary(d)
