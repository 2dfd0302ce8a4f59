"""Gaze and 3D eye landmarks (SPEC_GAZE §3-§7) against the original's FeatureExtraction outputs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES

import pyfacelm
from pyfacelm.drawing import default_intrinsics
from pyfacelm.video import iter_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (test extra) decodes the videos")

VIDEOS = ["default", "changeLighting", "2015-10-15-15-14", "multi_face", "image_sequence"]
EYES = ("left_eye_28", "right_eye_28")


@pytest.fixture(scope="module")
def clnf(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir)


@pytest.fixture(scope="module")
def tracked(clnf, reference, samples_dir):
    """tracked(name) -> (reference, [Face | None per frame]); one tracking run per video."""
    runs: dict[str, tuple[dict, list]] = {}

    def get(name: str):
        if name not in runs:
            ref = reference(f"gaze_{name}.json")
            tracker = clnf.tracker()
            K = ref["intrinsics_fx_fy_cx_cy"]
            faces = []
            for frame in iter_video(SAMPLES / ref["source"]["path"]):
                got = tracker.update(frame, intrinsics=K)
                faces.append(got[0] if got else None)
                if len(faces) == ref["n_frames"]:
                    break
            assert len(faces) == ref["n_frames"]
            runs[name] = (ref, faces)
        return runs[name]

    return get


def angle_between(a: np.ndarray, b: np.ndarray) -> float:
    c = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.arccos(np.clip(c, -1.0, 1.0)))


def from_state(clnf, rf: dict, K, success: bool):
    """The core's result for the original's recorded fit state of one frame."""
    eyes = np.array(rf["eye_landmarks"], dtype=np.float64)
    parts = {}
    for k, name in enumerate(EYES):
        pts = eyes[28 * k : 28 * (k + 1)]
        st = rf["parts"][name]
        parts[name] = (pts.T.ravel(), st["params_global"], st["params_local"])
    lm = np.array(rf["landmarks"], dtype=np.float64)
    return clnf.native_model._result_from_state(
        lm.T.ravel(), rf["params_global"], rf["params_local"], parts, K, success
    )


@pytest.mark.parametrize("name", VIDEOS)
def test_gaze_stage_reproduces_the_original_from_its_state(clnf, reference, name):
    """Given the original's landmarks and parameters, the gaze stage gives its values: only our
    head pose (a re-implemented solvePnP, which sets the eyeball offset's direction) differs."""
    ref = reference(f"gaze_{name}.json")
    K = ref["intrinsics_fx_fy_cx_cy"]
    gaze_err, angle_err, eye3d_err, face3d_err = [], [], [], []
    for rf in ref["frames"]:
        r = from_state(clnf, rf, K, rf["success"])
        eye3d_err.append(np.abs(r.eye_landmarks_3d - np.array(rf["eye_landmarks_3d"])).max())
        face3d_err.append(np.abs(r.landmarks_3d - np.array(rf["landmarks_3d"])).max())
        if not rf["gaze_computed"]:
            assert not r.gaze_0.any() and not r.gaze_1.any() and not r.gaze_angle.any()
            continue
        gaze_err.append(
            max(
                np.abs(r.gaze_0 - np.array(rf["gaze_0"])).max(),
                np.abs(r.gaze_1 - np.array(rf["gaze_1"])).max(),
            )
        )
        angle_err.append(np.abs(r.gaze_angle - np.array(rf["gaze_angle"])).max())
    # 3D points: the original's BLAS summation order leaves at most one float ulp (SPEC_GAZE
    # §10; measured max 6.1e-5 mm). The ray-sphere cancellation amplifies those ulps and our
    # pose's last bits into the gaze: measured max 7.5e-5 (vectors), 4.1e-5 rad (angles).
    assert max(eye3d_err) <= 1e-4 and max(face3d_err) <= 1e-4, (max(eye3d_err), max(face3d_err))
    assert max(gaze_err) <= 1.5e-4, max(gaze_err)
    assert max(angle_err) <= 1e-4, max(angle_err)


def tracking_errors(ref: dict, faces: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per eye and frame the angle between our gaze and the original's (rad); per frame the
    largest gaze_angle difference (rad) and the mean 3D eye landmark distance (mm)."""
    g_err, a_err, e_err = [], [], []
    for f, rf in zip(faces, ref["frames"]):
        if f is None:
            continue
        e_err.append(
            np.linalg.norm(f.eye_landmarks_3d - np.array(rf["eye_landmarks_3d"]), axis=1).mean()
        )
        if rf["gaze_computed"]:
            g_err.append(angle_between(f.gaze_0, np.array(rf["gaze_0"])))
            g_err.append(angle_between(f.gaze_1, np.array(rf["gaze_1"])))
            a_err.append(np.abs(f.gaze_angle - np.array(rf["gaze_angle"])).max())
    return np.array(g_err), np.array(a_err), np.array(e_err)


# Tracking the longest clip with the eye models (7 s) runs with --all; the default run tracks
# the other four (the gaze stage itself is checked on all five above).
TRACKED_VIDEOS = [
    pytest.param(n, marks=[pytest.mark.slow] if n == "2015-10-15-15-14" else []) for n in VIDEOS
]


@pytest.mark.parametrize("name", TRACKED_VIDEOS)
def test_gaze_parity_when_tracking(tracked, name):
    ref, faces = tracked(name)
    computed_ours = [f is not None and bool(f.gaze_0.any()) for f in faces]
    computed_ref = [rf["gaze_computed"] for rf in ref["frames"]]
    assert computed_ours == computed_ref  # gaze on exactly the original's frames
    g, a, _ = tracking_errors(ref, faces)
    # Issue 15: <= 0.01 rad on >= 99 %, median <= 0.002. Measured over the five videos: share
    # >= 99.79 %, median <= 0.00081 rad, 99th percentile <= 0.0040 rad; gaze_angle: share
    # >= 99.71 %, 99th percentile <= 0.0030 rad.
    assert np.mean(g <= 0.01) >= 0.99 and np.median(g) <= 0.0012, np.median(g)
    assert np.percentile(g, 99) <= 0.005, np.percentile(g, 99)
    assert np.mean(a <= 0.01) >= 0.99 and np.percentile(a, 99) <= 0.0035, np.percentile(a, 99)


@pytest.mark.parametrize("name", TRACKED_VIDEOS)
def test_eye_landmarks_3d_when_tracking(tracked, name):
    """The eye points' depth is fx / (the eye part's scale), and the 28-point eye fit is chaotic
    in its input: the part starts from the main landmarks, which tracking leaves a median
    0.009-0.023 px from the original's, and a 0.002-0.02 px shift of the main shape alone moves
    the eye part's scale by a median 0.04-0.06 % (p90 0.13-0.21 %; 0.1-px kernel grid, see
    test_eye_parts_from_the_originals_main_fit). Measured part-scale difference: median
    0.015-0.045 % per video; per-frame mean 3D distance <= 0.5 mm on 92.4 / 96.6 / 87.4 / 95.7 /
    100 % of frames (default, changeLighting, 2015-10-15-15-14, multi_face, image_sequence),
    99th percentile <= 1.38 mm (1.61 mm on multi_face without the PDM sum in BLAS order; the gaze
    uses only the points' directions, which agree)."""
    ref, faces = tracked(name)
    _, _, e = tracking_errors(ref, faces)
    assert np.mean(e <= 0.5) >= 0.87 and np.percentile(e, 99) <= 1.8, (
        np.mean(e <= 0.5),
        np.percentile(e, 99),
    )


@pytest.mark.xfail(
    strict=True, reason="the eye part fit amplifies tracking's 0.02-px residue; see the test above"
)
def test_eye_landmarks_3d_meet_the_issue_tolerance(tracked):
    """Issue 15 asks for 0.5 mm on >= 99 % of frames: not reached yet (see above)."""
    ref, faces = tracked("default")
    _, _, e = tracking_errors(ref, faces)
    assert np.mean(e <= 0.5) >= 0.99


def test_eye_parts_from_the_originals_main_fit(clnf, reference, samples_dir):
    """SPEC §5.3 eye parts from the original's main-model state (image mode, before the parts):
    the eye part scale and the 3D eye landmarks that follow from it. Not bit-exact: the parts'
    CalcParams and NU-RLMS round differently in the last bits (the main re-fit's CalcParams, given
    the original's written-back landmarks, matches on 0 of 108 faces, g off by a median 3.6e-7).
    Measured on the 109 faces whose parts are fitted: part scale relative difference median
    2.7e-6, max 1.22e-3; eye 3D per-face mean distance median 0.0025 mm, <= 0.5 mm on 106 (97.2
    %), max 0.84 mm."""
    from parity import load_image

    rel, e3 = [], []
    for key, entry in reference("images_clnf.json").items():
        # Parts are fitted when the main fit's scale exceeds 0.9 (SPEC §5.3 step 3).
        faces = [
            f for f in entry["faces"] if f["stages_main_model_only"][2]["params_global"][0] > 0.9
        ]
        if not faces:
            continue
        img = load_image(key)
        for face in faces:
            main = face["stages_main_model_only"][2]
            r = clnf.native_model._detect_from(
                img, main["params_global"], main["params_local"], [0, 0, 0]
            )
            for name in EYES:
                ours = r.parts[name].params_global[0]
                rel.append(abs(ours / face["parts"][name]["params_global"][0] - 1))
            d = np.asarray(r.eye_landmarks_3d) - np.array(face["eye_landmarks_3d"])
            e3.append(np.linalg.norm(d, axis=1).mean())
    assert len(e3) == 109
    # (max 1.80e-3 with the core's PDM sum order, 1.22e-3 with OpenFace's BLAS order.)
    assert np.median(rel) <= 1e-5 and max(rel) <= 2.2e-3, (np.median(rel), max(rel))
    e = np.array(e3)
    assert np.median(e) <= 0.003 and np.mean(e <= 0.5) >= 0.97 and e.max() <= 1.0, (
        np.median(e),
        np.mean(e <= 0.5),
        e.max(),
    )


def test_face_gaze_fields(clnf, reference, samples_dir):
    face = reference("images_clnf.json")["sample1.jpg"]["faces"][0]
    img = cv2.imread(str(SAMPLES / "sample1.jpg"), cv2.IMREAD_COLOR)
    f = clnf.fit(img, face["bbox"])
    assert f.success
    assert f.eye_landmarks_3d.shape == (56, 3) and f.eye_landmarks_3d.dtype == np.float32
    for g in (f.gaze_0, f.gaze_1):
        assert g.shape == (3,) and g.dtype == np.float32
        assert abs(np.linalg.norm(g) - 1) < 1e-6 and g[2] < 0  # towards the camera
    assert f.gaze_angle.shape == (2,) and f.gaze_angle.dtype == np.float32
    m = (f.gaze_0 + f.gaze_1) / 2
    np.testing.assert_allclose(f.gaze_angle, np.arctan2(m[:2], -m[2]), atol=1e-6)
    # The eye points lie in front of the camera, around the 2D eye landmarks' rays.
    e3 = f.eye_landmarks_3d
    assert (e3[:, 2] > 100).all()
    fx, fy, cx, cy = default_intrinsics(img.shape[1], img.shape[0])
    np.testing.assert_allclose(e3[:, 0] / e3[:, 2] * fx + cx, f.eye_landmarks[:, 0], atol=0.01)
    np.testing.assert_allclose(e3[:, 1] / e3[:, 2] * fy + cy, f.eye_landmarks[:, 1], atol=0.01)
    with pytest.raises(ValueError):
        f.gaze_0[0] = 1  # read-only like every result array
    assert len(f.to_dict()["gaze_angle"]) == 2
    # detect() and the tracker report the same fields.
    d = clnf.detect(img)
    assert d and all(x.gaze_0 is not None and x.eye_landmarks_3d is not None for x in d)


def test_no_gaze_on_a_failed_fit(clnf, reference):
    """The original writes exact zeros for the gaze of a failed frame, the eye points regardless."""
    ref = reference("gaze_default.json")
    rf = ref["frames"][10]
    r = from_state(clnf, rf, ref["intrinsics_fx_fy_cx_cy"], False)
    assert not r.gaze_0.any() and not r.gaze_1.any() and not r.gaze_angle.any()
    np.testing.assert_allclose(r.eye_landmarks_3d, rf["eye_landmarks_3d"], atol=1e-4)
    face = pyfacelm.Face.from_native(r)
    assert face.gaze_0 is not None and not face.gaze_0.any()


def test_no_gaze_without_eye_models(model_dir, tmp_path, samples_dir, reference):
    main = tmp_path / "main_clnf_no_eyes.txt"
    main.write_text(
        f"LandmarkDetector {model_dir / 'clnf_general.txt'}\n"
        f"DetectionValidator {model_dir / 'detection_validation' / 'validator_cnn.txt'}\n"
    )
    det = pyfacelm.CLNFDetector(str(main))
    face = reference("images_clnf.json")["sample1.jpg"]["faces"][0]
    f = det.fit(cv2.imread(str(SAMPLES / "sample1.jpg"), cv2.IMREAD_COLOR), face["bbox"])
    assert f.eye_landmarks is None and f.eye_landmarks_3d is None
    assert f.gaze_0 is None and f.gaze_1 is None and f.gaze_angle is None


def test_drawing_shows_gaze_rays_only_where_gaze_was_computed(clnf, reference, samples_dir):
    import dataclasses

    from pyfacelm.drawing import draw_faces

    face = reference("images_clnf.json")["sample1.jpg"]["faces"][0]
    img = cv2.imread(str(SAMPLES / "sample1.jpg"), cv2.IMREAD_COLOR)
    f = clnf.fit(img, face["bbox"])
    ray = np.array([110, 220, 0])  # OpenFace's gaze colour (BGR)

    def ray_pixels(out: np.ndarray) -> np.ndarray:
        return np.argwhere((np.abs(out.astype(int) - ray) <= 8).all(axis=2))

    drawn = ray_pixels(draw_faces(img, [f]))
    assert len(drawn) > 20
    # The rays start at the pupils (mean of the 8 iris points).
    pupils = [f.eye_landmarks[k * 28 : k * 28 + 8].mean(axis=0) for k in (0, 1)]
    for px, py in pupils:
        assert np.hypot(drawn[:, 1] - px, drawn[:, 0] - py).min() <= 3
    zero = np.zeros(3, np.float32)
    failed = dataclasses.replace(f, gaze_0=zero, gaze_1=zero)
    assert len(ray_pixels(draw_faces(img, [failed]))) < len(drawn) / 10
