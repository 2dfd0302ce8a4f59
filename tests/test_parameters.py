"""FitParameters: OpenFace's parameter modes (SPEC §10), `-wild` against the original's outputs."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
from conftest import SAMPLES, SHARED

import pyfacelm
from pyfacelm import FitParameters, _clnf
from pyfacelm.cli import main
from pyfacelm.video import iter_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (test extra) decodes the samples")


def load_image(key: str) -> np.ndarray:
    # As the reference: IMREAD_COLOR for every sample, 16-bit PNGs included.
    img = cv2.imread(str(SAMPLES / key), cv2.IMREAD_COLOR)
    assert img is not None, key
    return img


def fit_all(det, ref, params=None):
    """Fit every reference face from its box: (reference face, our Face) pairs."""
    out = []
    for key, entry in ref.items():
        img = load_image(key)
        for face in entry["faces"]:
            out.append((key, face, det.fit(img, face["bbox"], params=params)))
    return out


def differences(pairs, sqrt_eig):
    rows = []
    for key, ref, f in pairs:
        g, g_ref = f.params_global, np.array(ref["params_global"])
        rows.append(
            {
                "key": key,
                "dist": np.linalg.norm(f.landmarks - np.array(ref["landmarks"]), axis=1).mean(),
                "max": np.linalg.norm(f.landmarks - np.array(ref["landmarks"]), axis=1).max(),
                "eye": np.linalg.norm(f.eye_landmarks - np.array(ref["eye_landmarks"]), axis=1),
                "same_flags": f.success == ref["success"] and f.view == ref["view_used"],
                "conf": abs(f.confidence - ref["confidence"]),
                "lhood": abs(f.model_likelihood - ref["model_likelihood"])
                / abs(ref["model_likelihood"]),
                "par": max(
                    (np.abs(g - g_ref) / np.abs(g_ref))[[0, 4, 5]].max(),
                    np.abs(g - g_ref)[1:4].max(),
                ),
                "local": (np.abs(f.params_local - np.array(ref["params_local"])) / sqrt_eig).max(),
                "l3d": np.linalg.norm(f.landmarks_3d - np.array(ref["landmarks_3d"]), axis=1).max(),
                "pose_t": np.abs(f.pose[:3] - np.array(ref["pose"][:3])).max(),
                "pose_r": np.abs(f.pose[3:] - np.array(ref["pose"][3:])).max(),
            }
        )
    return rows


def summary(rows) -> str:
    d = np.array([r["dist"] for r in rows])
    eyes = np.concatenate([r["eye"] for r in rows])
    return (
        f"{len(rows)} faces: mean dist max {d.max():.4f} px, <=0.1 px {np.mean(d <= 0.1):.1%}, "
        f"point max {max(r['max'] for r in rows):.4f} px, eyes p99 {np.percentile(eyes, 99):.4f} "
        f"max {eyes.max():.4f} px, conf max {max(r['conf'] for r in rows):.2e}, "
        f"lhood rel max {max(r['lhood'] for r in rows):.2e}, "
        f"params_global max {max(r['par'] for r in rows):.2e}, "
        f"params_local max {max(r['local'] for r in rows):.3f} sqrt(eig), "
        f"landmarks_3d max {max(r['l3d'] for r in rows):.3f} mm, "
        f"pose t {max(r['pose_t'] for r in rows):.3f} mm r {max(r['pose_r'] for r in rows):.2e}"
    )


def assert_close(rows, label, tol):
    """Every reference field within `tol` (the figures measured on the samples plus a margin)."""
    text = label + ": " + summary(rows)
    same = [r["same_flags"] for r in rows]
    assert all(same), (
        text,
        "success/view differ",
        [r["key"] for r, ok in zip(rows, same) if not ok],
    )
    assert max(r["conf"] for r in rows) <= 1e-6, text
    dist = np.array([r["dist"] for r in rows])
    assert dist.max() <= tol["dist"] and np.mean(dist <= 0.1) >= tol["dist_frac"], text
    assert max(r["max"] for r in rows) <= tol["point"], text
    eyes = np.concatenate([r["eye"] for r in rows])
    assert eyes.max() <= tol["eye"] and np.mean(eyes <= 0.1) >= tol["eye_frac"], text
    lhood = np.array([r["lhood"] for r in rows])
    assert lhood.max() <= tol["lhood"] and np.percentile(lhood, 95) <= tol["lhood_p95"], text
    for field in ("par", "local", "l3d", "pose_t", "pose_r"):
        assert max(r[field] for r in rows) <= tol[field], (field, text)


# --- presets -----------------------------------------------------------------------------------


def as_float32(p: FitParameters) -> dict:
    d = dataclasses.asdict(p)
    return {k: (np.float32(v) if isinstance(v, float) else v) for k, v in d.items()}


@pytest.mark.parametrize("model", ["clnf", "clm", "ceclm", "clnf_wild", "clm_wild"])
def test_presets_equal_the_cores_openface_sets(model):
    ceclm = model == "ceclm"
    for preset, wild in ((FitParameters.default, False), (FitParameters.wild, True)):
        core = {
            k: (np.float32(v) if isinstance(v, float) else v)
            for k, v in _clnf.openface_parameters(ceclm, wild).items()
        }
        assert as_float32(preset(model)) == core, (model, wild)


def test_presets_are_the_spec_table():
    # SPEC §10.3 effective values: sigma, reg, weight, iterations, init / small windows, multi-view.
    table = {
        ("ceclm", False): (2.25, 22.5, 0.0, 5, (11, 9, 7, 5), False),
        ("ceclm", True): (1.875, 31.5, 2.5, 10, (15, 13, 11, 11), True),
        ("clnf", False): (1.5, 25.0, 0.0, 5, (11, 9, 7, 5), False),
        ("clnf", True): (1.25, 35.0, 2.5, 10, (15, 13, 11, 11), True),
        ("clm", True): (1.25, 35.0, 2.5, 10, (15, 13, 11, 11), True),
    }
    for (model, wild), (sigma, reg, weight, iters, init, mv) in table.items():
        p = FitParameters.wild(model) if wild else FitParameters.default(model)
        assert (p.sigma, p.reg_factor, p.weight_factor, p.iterations) == (sigma, reg, weight, iters)
        assert p.window_sizes_init == init and p.multi_view is mv
        assert p.window_sizes_small == (0, 9, 7, 0)
        assert p.validate_detections and p.refine_hierarchical
        assert np.float32(p.validation_boundary) == np.float32(0.725000024)
        assert p.reinit_video_every == 2


@pytest.mark.parametrize(
    "ref_name, model, wild",
    [
        ("images_clnf_wild.meta.json", "clnf", True),
        ("images_clm_wild.meta.json", "clm", True),
        ("images_clnf_wildmodel.meta.json", "clnf_wild", False),
    ],
)
def test_presets_equal_the_originals_live_values(reference, ref_name, model, wild):
    live = reference(ref_name)["model"]["params"]
    p = FitParameters.wild(model) if wild else FitParameters.default(model)
    assert list(p.window_sizes_init) == live["window_sizes_init"]
    assert list(p.window_sizes_small) == live["window_sizes_small"]
    assert p.iterations == live["num_optimisation_iteration"]
    for ours, theirs in (
        (p.sigma, live["sigma"]),
        (p.reg_factor, live["reg_factor"]),
        (p.weight_factor, live["weight_factor"]),
        (p.validation_boundary, live["validation_boundary"]),
    ):
        assert np.float32(ours) == np.float32(theirs)
    assert p.multi_view == live["multi_view"]
    assert p.validate_detections == live["validate_detections"]
    assert p.refine_hierarchical == live["refine_hierarchical"]
    assert p.reinit_video_every == live["reinit_video_every"]


def test_detector_defaults_follow_the_model(model_dir):
    for model in ("clnf", "clnf_wild", "clm_wild"):
        det = pyfacelm.CLNFDetector(model, model_dir)
        # OpenFace: wild-trained files load with the default parameters unless -wild is given.
        assert det.params == FitParameters.default(model) == FitParameters()
        assert as_float32(det.params) == {
            k: (np.float32(v) if isinstance(v, float) else v)
            for k, v in det.native_model.default_parameters.items()
        }
    assert FitParameters.default(model_dir / "main_ceclm_general.txt").sigma == 2.25
    assert FitParameters.wild(str(model_dir / "main_clnf_wild.txt")) == FitParameters.wild("clnf")


# --- bad values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sigma": 0.0}, "sigma must be a positive finite number"),
        ({"sigma": float("nan")}, "sigma must be a positive finite number"),
        ({"sigma": 1e300}, "sigma must be a positive finite number"),
        ({"reg_factor": -1.0}, "reg_factor must be a non-negative finite number"),
        ({"weight_factor": float("inf")}, "weight_factor must be a non-negative finite number"),
        ({"window_sizes_init": (11, 8, 7)}, r"window_sizes_init must hold odd window sizes"),
        ({"window_sizes_init": (11, -1)}, r"window_sizes_init must hold odd window sizes"),
        (
            {"window_sizes_small": (0, 33)},
            r"window_sizes_small must hold odd window sizes from 1 to 31",
        ),
        ({"window_sizes_init": (0, 0, 0)}, "window_sizes_init must use at least one scale"),
        ({"window_sizes_small": ()}, "window_sizes_small must use at least one scale"),
        ({"iterations": 0}, "iterations must be from 1 to 1000"),
        ({"iterations": 10**12}, "iterations must be from 1 to 1000"),
        ({"validation_boundary": 1.5}, "validation_boundary must be a number from 0 to 1"),
        ({"validation_boundary": float("nan")}, "validation_boundary must be a number from 0 to 1"),
        ({"reinit_video_every": 0}, "reinit_video_every must be at least 1"),
    ],
)
def test_bad_values_raise_value_error(change, message):
    with pytest.raises(ValueError, match=message):
        FitParameters(**change)
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(FitParameters.wild("clnf"), **change)


@pytest.mark.parametrize(
    "change",
    [
        {"sigma": "1.5"},
        {"iterations": 5.0},
        {"iterations": True},
        {"multi_view": 1},
        {"window_sizes_init": "11 9 7"},
        {"window_sizes_init": (11.0, 9, 7)},
        {"window_sizes_small": 9},
    ],
)
def test_wrong_types_raise_type_error(change):
    with pytest.raises(TypeError, match=next(iter(change))):
        FitParameters(**change)


def test_numpy_and_list_values_are_normalised():
    p = FitParameters(
        window_sizes_init=[np.int64(15), 13, 11], sigma=np.float32(1.25), multi_view=np.bool_(True)
    )
    assert p.window_sizes_init == (15, 13, 11) and type(p.window_sizes_init[0]) is int
    assert p.sigma == 1.25 and type(p.sigma) is float and p.multi_view is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.sigma = 2.0  # type: ignore[misc]
    assert hash(p) == hash(
        FitParameters(window_sizes_init=(15, 13, 11), sigma=1.25, multi_view=True)
    )


def test_params_must_be_fit_parameters(model_dir):
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    img = np.zeros((100, 100, 3), np.uint8)
    for call in (
        lambda: det.fit(img, (10, 10, 50, 50), params={"sigma": 1.0}),  # type: ignore[arg-type]
        lambda: det.detect(img, params="wild"),  # type: ignore[arg-type]
        lambda: det.tracker(params=1.0),  # type: ignore[arg-type]
        lambda: pyfacelm.CLNFDetector("clnf", model_dir, params="wild"),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match="params must be a FitParameters"):
            call()
    with pytest.raises(ValueError, match="unknown model 'wild'"):
        FitParameters.wild("wild")


# --- fits against the original's -wild outputs ---------------------------------------------------


@pytest.fixture(scope="module")
def clnf_wild_params(model_dir):
    return pyfacelm.CLNFDetector("clnf", model_dir, params=FitParameters.wild("clnf"))


# Measured on the 111 sample faces (tests print the figures; `-s` shows them), in order:
# mean landmark distance max / share <= 0.1 px, worst point, eye landmarks max / share <= 0.1 px,
# likelihood relative max / p95, params_global (relative scale and translation, rotation rad),
# params_local per mode in sqrt(eigenvalue), landmarks_3d (mm), pose translation (mm) / rotation.
#   CLNF -wild:     0.1115 / 98.2 %, 0.734, 0.228 / 99.6 %, 7.8e-3 / 1.7e-3, 2.7e-3, 0.071, 1.86,
#                   1.39 / 2.6e-3
#   CLM -wild:      0.0920 / 100 %, 0.738, 0.238 / 99.4 %, 1.5e-3 / 3.2e-4, 2.7e-3, 0.033, 1.14,
#                   0.78 / 3.2e-3
#   clnf_wild file: 0.0525 / 100 %, 0.226, 0.846 / 99.4 %, 6.1e-2 / 2.1e-3, 1.4e-3, 0.068, 2.91,
#                   2.48 / 1.1e-3
# The tails are a few faces (sample2.jpg, sample6.jpg) where 10 NU-weighted iterations amplify
# float rounding differences; success, view and confidence are equal on every face.
WILD_TOLERANCES = {
    "images_clnf_wild.json": dict(
        dist=0.13,
        dist_frac=0.97,
        point=0.85,
        eye=0.27,
        eye_frac=0.99,
        lhood=1e-2,
        lhood_p95=2.5e-3,
        par=3.2e-3,
        local=0.085,
        l3d=2.2,
        pose_t=1.7,
        pose_r=3.2e-3,
    ),
    "images_clm_wild.json": dict(
        dist=0.11,
        dist_frac=0.99,
        point=0.85,
        eye=0.28,
        eye_frac=0.985,
        lhood=1.8e-3,
        lhood_p95=5e-4,
        par=3.2e-3,
        local=0.04,
        l3d=1.35,
        pose_t=0.95,
        pose_r=3.9e-3,
    ),
    "images_clnf_wildmodel.json": dict(
        dist=0.065,
        dist_frac=0.99,
        point=0.27,
        eye=1.0,
        eye_frac=0.985,
        lhood=7.5e-2,
        lhood_p95=2.5e-3,
        par=1.7e-3,
        local=0.08,
        l3d=3.4,
        pose_t=2.9,
        pose_r=1.3e-3,
    ),
}


@pytest.mark.slow  # 111 faces x 3 wild fits (CI runs it: --all)
@pytest.mark.parametrize(
    "ref_name, model, wild",
    [
        ("images_clnf_wild.json", "clnf", True),
        ("images_clm_wild.json", "clm", True),
        # OpenFace's wild-trained CLNF file with default parameters (no -wild).
        ("images_clnf_wildmodel.json", "clnf_wild", False),
    ],
)
def test_wild_parity(model_dir, reference, samples_dir, ref_name, model, wild):
    params = FitParameters.wild(model) if wild else None
    det = pyfacelm.CLNFDetector(model, model_dir, params=params)
    sqrt_eig = np.sqrt(
        pyfacelm.PDM(str(model_dir / "pdms" / "In-the-wild_aligned_PDM_68.txt")).eigenvalues
    )
    rows = differences(fit_all(det, reference(ref_name)), sqrt_eig)
    print(ref_name, summary(rows))
    assert len(rows) == 111
    assert_close(rows, ref_name, WILD_TOLERANCES[ref_name])


def test_wild_video_parity(clnf_wild_params, reference, samples_dir):
    """Tracking default.wmv with -wild (the frames decode bit-identically to the reference's).
    Measured: median 0.0225 px, p95 0.038 px; 4 frames (215-218) above 0.1 px, up to 1.35 px:
    the 0.02 px state differences of earlier frames are amplified there (the jaw contour takes
    another path), as the one-step replay below shows. Success, confidence and re-detections
    equal on every frame."""
    ref = reference("video_default_wild.json")
    tracker = clnf_wild_params.tracker()
    assert tracker.params == FitParameters.wild("clnf")
    dists, flags = [], []
    for frame, rf in zip(iter_video(SAMPLES / ref["source"]["path"]), ref["frames"]):
        faces = tracker.update(frame)
        assert tracker.last_event["redetect_attempted"] == rf["event"]["redetect_attempted"]
        assert len(faces) == 1
        f = faces[0]
        dists.append(np.linalg.norm(f.landmarks - np.array(rf["landmarks"]), axis=1).mean())
        flags.append(f.success == rf["success"] and abs(f.confidence - rf["confidence"]) <= 1e-6)
    assert len(dists) == ref["n_frames"] and all(flags)
    d = np.array(dists)
    p95 = np.percentile(d, 95)
    print(f"video_default_wild: median {np.median(d):.4f} p95 {p95:.4f} max {d.max():.4f}")
    assert np.median(d) <= 0.03 and p95 <= 0.05 and d.max() <= 1.6, d
    assert np.sum(d > 0.1) <= 5, np.flatnonzero(d > 0.1)


@pytest.mark.slow  # 5 s: explains test_wild_video_parity's outliers, which that test bounds
def test_wild_tracking_step_replay(clnf_wild_params, reference, samples_dir):
    """Each tracking step of the -wild video, started from the original's previous state
    (params_global, params_local) with the small windows: measured max 0.020 px, median
    0.0006 px over the 287 steps."""
    ref = reference("video_default_wild.json")["frames"]
    frames = list(iter_video(SAMPLES / "default.wmv"))
    params = FitParameters.wild("clnf")
    d = []
    for i in range(1, len(ref)):
        prev = ref[i - 1]
        r = clnf_wild_params.native_model._detect_from(
            frames[i], prev["params_global"], prev["params_local"], [0, 9, 7, 0], params=params
        )
        d.append(
            np.linalg.norm(np.asarray(r.landmarks) - np.array(ref[i]["landmarks"]), axis=1).mean()
        )
    d = np.array(d)
    print(f"wild tracking step replay: median {np.median(d):.4f} max {d.max():.4f} px")
    assert len(d) == 287 and np.median(d) <= 0.002 and d.max() <= 0.03, d.max()


# --- invariants where the original has no output ---------------------------------------------


def test_multi_view_shortcut_overrides_params(clnf_wild_params, reference, samples_dir):
    face = reference("images_clnf.json")["sample1.jpg"]["faces"][0]
    img = load_image("sample1.jpg")
    single = dataclasses.replace(FitParameters.wild("clnf"), multi_view=False)
    a = clnf_wild_params.fit(img, face["bbox"], multi_view=False)
    b = clnf_wild_params.fit(img, face["bbox"], params=single)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    c = clnf_wild_params.fit(img, face["bbox"])  # the detector's (wild, multi-view)
    d = clnf_wild_params.fit(img, face["bbox"], params=single, multi_view=True)
    np.testing.assert_array_equal(c.landmarks, d.landmarks)
    # Per-call parameters on a default detector (windows not prepared at load) give the same fit.
    e = pyfacelm.CLNFDetector("clnf", clnf_wild_params.model_dir).fit(
        img, face["bbox"], params=FitParameters.wild("clnf")
    )
    np.testing.assert_array_equal(c.landmarks, e.landmarks)


def test_multi_view_keeps_the_best_hypothesis(clnf_wild_params, reference, samples_dir):
    """The 11-hypothesis fit returns the hypothesis with the highest likelihood: never below
    the single (frontal) hypothesis, and on faces where they differ strictly above it."""
    single = dataclasses.replace(FitParameters.wild("clnf"), multi_view=False)
    ref = reference("images_clnf_wild.json")
    changed = 0
    for key in ("sample1.jpg", "sample3.jpg"):  # a frontal face; one where the two differ
        img = load_image(key)
        for face in ref[key]["faces"]:
            mv = clnf_wild_params.fit(img, face["bbox"])
            one = clnf_wild_params.fit(img, face["bbox"], params=single)
            assert mv.model_likelihood >= one.model_likelihood, key
            if not np.array_equal(mv.landmarks, one.landmarks):
                changed += 1
                assert mv.model_likelihood > one.model_likelihood, key
    assert changed >= 1  # sample3.jpg: the wild fit converges to another pose (REFERENCE README)


def test_nu_weighting_is_on_in_wild(clnf_wild_params, reference, samples_dir):
    face = reference("images_clnf_wild.json")["sample1.jpg"]["faces"][0]
    img = load_image("sample1.jpg")
    wild = dataclasses.replace(FitParameters.wild("clnf"), multi_view=False)
    plain = dataclasses.replace(wild, weight_factor=0.0)
    a = clnf_wild_params.fit(img, face["bbox"], params=wild)
    b = clnf_wild_params.fit(img, face["bbox"], params=plain)
    assert wild.weight_factor == 2.5
    assert np.abs(a.landmarks - b.landmarks).max() > 0.01  # the weights change the fit


def test_clm_wild_model_on_every_sample_face(model_dir, reference, samples_dir):
    """The wild-trained SVR model (no original output here): fitted and validated on every
    sample face from the original's boxes, close to the general CLM model where both succeed."""
    det = pyfacelm.CLNFDetector("clm_wild", model_dir)
    assert det.params == FitParameters.default("clm_wild")
    ref = reference("images_clm.json")
    pairs = fit_all(det, ref)
    n_success = sum(f.success for _, _, f in pairs)
    confs = np.array([f.confidence for _, _, f in pairs])
    assert len(pairs) == 111 and np.all((confs > 0) & (confs <= 1))  # the validator ran on each
    both = [
        np.linalg.norm(f.landmarks - np.array(r["landmarks"]), axis=1).mean()
        for _, r, f in pairs
        if f.success and r["success"]
    ]
    print(f"clm_wild: {n_success}/111 successful, vs clm median {np.median(both):.2f} px")
    # Measured: 109 successful (sample2.jpg faces 1 and 2 fail), median 0.99 px from CLM.
    assert n_success >= 108 and np.median(both) <= 1.3


def test_cli_wild_option(model_dir, samples_dir, tmp_path, reference):
    out = tmp_path / "wild.csv"
    rc = main(
        [
            "image",
            str(SAMPLES / "sample1.jpg"),
            "--wild",
            "-o",
            str(out),
            "--model-dir",
            str(model_dir),
            "-q",
        ]
    )
    assert rc == 0
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    head, row = rows[0], rows[1]
    xi = head.index("x_0")
    xs = np.array(row[xi : xi + 68], float)
    ref = reference("images_clnf_wild.json")["sample1.jpg"]["faces"][0]
    np.testing.assert_allclose(xs, np.array(ref["landmarks"])[:, 0], atol=0.1)


def test_ceclm_presets_reach_the_fit(model_dir, reference, samples_dir, tmp_path):
    """CE-CLM (synthetic CEN files, SPEC §10.2): the detector's defaults are the core's CE-CLM
    set (sigma x1.5, reg x0.9, applied once), and -wild runs the early-termination path with
    its wider windows."""
    synth = SHARED / "openface" / "synthetic_cen" / "patch_experts"
    if not synth.is_dir():
        pytest.skip("synthetic CEN files not available")
    for item in model_dir.iterdir():
        if item.name != "patch_experts":
            (tmp_path / item.name).symlink_to(item)
    (tmp_path / "patch_experts").mkdir()
    for item in [*(model_dir / "patch_experts").iterdir(), *synth.glob("*.dat")]:
        (tmp_path / "patch_experts" / item.name).symlink_to(item)
    det = pyfacelm.CLNFDetector("ceclm", tmp_path)
    assert det.params == FitParameters.default("ceclm")
    assert as_float32(det.params) == {
        k: (np.float32(v) if isinstance(v, float) else v)
        for k, v in det.native_model.default_parameters.items()
    }
    face = reference("images_ceclm_synth.json")["sample1.jpg"]["faces"][0]
    img = load_image("sample1.jpg")
    default = det.fit(img, face["bbox"])
    assert np.linalg.norm(default.landmarks - np.array(face["landmarks"]), axis=1).mean() <= 0.1
    wild = det.fit(img, face["bbox"], params=FitParameters.wild("ceclm"))
    assert np.isfinite(wild.landmarks).all() and 0 <= wild.confidence <= 1
    assert np.abs(wild.landmarks - default.landmarks).max() > 0.1
