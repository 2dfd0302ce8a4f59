"""Parity on the faces that part most from the original (issue 11 §3).

`images_clnf_divergent.json` / `images_clm_divergent.json` hold two images of ../shared/extra/images
(a 4220x2373 group photo with faces up to ~750 px wide, and a single 191 px face) with the
original's state after every stage. There the fit is chaotic: the start is bit-identical
(checked below), one scale of NU-RLMS from the original's own state lands within float noise of
the original's next state, but float rounding that differs in the last bits (BLAS summation order,
Cholesky, SVD) moves a landmark across a boundary of the 0.1-px kernel grid of the mean shift
(SPEC §4.4; 0.1 reference px is up to 2 image px on these faces at patch scale 0.25) or of the
0.01-px convergence test, and from there the fits part by up to ~1 px. A box moved by 1e-3 px
moves the result just as far. So each stage is checked tightly from the original's state, and the
whole fit within the envelope that rounding alone produces.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHARED
from parity import load_image

import pyfacelm
from pyfacelm import _clnf

FILES = {"clnf": "images_clnf_divergent.json", "clm": "images_clm_divergent.json"}
WINDOWS = (11, 9, 7)  # window_sizes_init of the three main-model scales


@pytest.fixture(scope="module")
def extra_images():
    d = SHARED / "extra" / "images"
    if not d.is_dir():
        pytest.skip(f"extra images not available at {d}")
    return d


def faces(ref):
    for key, entry in ref.items():
        img = load_image(key)
        for face in entry["faces"]:
            yield img, face


def compare(det, ref, *, multi_view=False):
    """Fit every reference face from its box; return per-face differences."""
    rows = []
    cache = {}
    for key, entry in ref.items():
        if key not in cache:
            cache.clear()
            cache[key] = load_image(key)
        img = cache[key]
        for face in entry["faces"]:
            f = det.fit(img, face["bbox"], multi_view=multi_view)
            g, g_ref = f.params_global, np.array(face["params_global"])
            rows.append(
                {
                    "key": key,
                    "dist": np.linalg.norm(
                        f.landmarks - np.array(face["landmarks"]), axis=1
                    ).mean(),
                    "eye": None
                    if f.eye_landmarks is None
                    else np.linalg.norm(f.eye_landmarks - np.array(face["eye_landmarks"]), axis=1),
                    "success": f.success == face["success"],
                    "conf": abs(f.confidence - face["confidence"]),
                    "st_rel": (np.abs(g - g_ref) / np.abs(g_ref))[[0, 4, 5]].max(),
                    "rot": np.abs(g - g_ref)[1:4].max(),
                    "pose_t": np.abs(f.pose[:3] - np.array(face["pose"][:3])).max(),
                    "pose_r": np.abs(f.pose[3:] - np.array(face["pose"][3:])).max(),
                }
            )
    return rows


def mean_dist(a, b) -> float:
    return float(
        np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64), axis=1).mean()
    )


@pytest.mark.parametrize("model", ["clnf", "clm"])
def test_start_is_bit_identical(model_dir, reference, extra_images, model):
    # §2.7: the fits start from exactly the original's parameters (float32, all faces).
    pdm = pyfacelm.PDM(str(model_dir / "pdms" / "In-the-wild_aligned_PDM_68.txt"))
    for _, face in faces(reference(FILES[model])):
        ours = np.asarray(pdm.params_from_box(face["bbox"]), np.float32)
        np.testing.assert_array_equal(ours, np.float32(face["init_from_bbox"]["params_global"]))


@pytest.mark.parametrize("model", ["clnf", "clm"])
def test_each_scale_from_the_originals_state(model_dir, reference, extra_images, model):
    """One main-model scale from the original's state before it lands on its state after it."""
    main = _clnf._LandmarkModel(str(model_dir / f"{model}_general.txt"))
    dist: dict[int, list[float]] = {0: [], 1: [], 2: []}
    for img, face in faces(reference(FILES[model])):
        stages = face["stages_main_model_only"]
        g, p = face["init_from_bbox"]["params_global"], None
        for k in range(3):
            windows = [w if s == k else 0 for s, w in enumerate(WINDOWS)]
            r = main.fit(img, g, p, window_sizes=windows)
            dist[k].append(mean_dist(r.landmarks, stages[k]["landmarks"]))
            assert r.view_used == stages[k]["view_used"]
            assert r.model_likelihood == pytest.approx(stages[k]["model_likelihood"], abs=2e-3)
            g, p = stages[k]["params_global"], stages[k]["params_local"]
    # Measured (CLNF / CLM): median <= 8e-5 px at every scale; max 0.025 / 0.013 (scale 0),
    # 0.085 / 0.026 (scale 1), 0.002 / 0.053 (scale 2): the odd face flips a kernel-grid cell.
    for k, d in dist.items():
        assert np.median(d) <= 5e-4, (model, k, np.sort(d)[-5:])
        assert max(d) <= 0.1, (model, k, np.sort(d)[-5:])
    assert max(dist[0]) <= 0.04, (model, np.sort(dist[0])[-5:])


@pytest.mark.parametrize("model", ["clnf", "clm"])
def test_parts_from_the_originals_main_fit(model_dir, reference, extra_images, model):
    """§5.3 hierarchical parts + re-fit + validation, from the original's main-model fit."""
    clnf = _clnf.CLNFModel(str(model_dir / f"main_{model}_general.txt"))
    dist, part_dist = [], []
    for img, face in faces(reference(FILES[model])):
        main = face["stages_main_model_only"][2]
        r = clnf._detect_from(img, main["params_global"], main["params_local"], [0, 0, 0])
        dist.append(mean_dist(r.landmarks, face["landmarks"]))
        for name, part in face["parts"].items():
            part_dist.append(mean_dist(r.parts[name].landmarks, part["landmarks"]))
        assert r.success == face["success"]
        assert r.confidence == pytest.approx(face["confidence"], abs=1e-6)
    # Measured: final landmarks max 0.023 (CLNF) / 0.033 (CLM) px, medians 0.0047 / 0.0020;
    # part landmarks max 0.11 / 0.20 px (an eye model crossing a grid cell).
    assert max(dist) <= 0.04 and np.median(dist) <= 0.006, (model, np.sort(dist)[-5:])
    assert max(part_dist) <= 0.25, (model, np.sort(part_dist)[-5:])


@pytest.mark.parametrize("model", ["clnf", "clm"])
def test_full_fit_within_the_rounding_envelope(model_dir, reference, extra_images, model):
    rows = compare(pyfacelm.CLNFDetector(model, model_dir), reference(FILES[model]))
    assert all(r["success"] for r in rows), model
    assert max(r["conf"] for r in rows) <= 1e-6, model
    dist = np.array([r["dist"] for r in rows])
    # Measured (CLNF / CLM, 17 faces each): median 0.027 / 0.026 px; 13 / 13 faces <= 0.1 px;
    # max 0.36 / 0.94 px on the >= 720 px faces. Our own fit moves by a median 0.5-2.3 px on
    # those faces when the box moves by 1e-3 px, so no closer bound is meaningful there.
    assert np.median(dist) <= 0.03, (model, np.sort(dist)[-5:])
    assert (dist <= 0.1).sum() >= 13, (model, np.sort(dist)[-5:])
    assert dist.max() <= 1.0, (model, np.sort(dist)[-5:])
