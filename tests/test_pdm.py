"""The 3D point distribution model (SPEC §2): projection, Jacobians, updates, CalcParams."""

from __future__ import annotations

import numpy as np
import pytest

import pyfacelm

PDM68 = "pdms/In-the-wild_aligned_PDM_68.txt"


@pytest.fixture(scope="module")
def pdm(model_dir):
    return pyfacelm.PDM(str(model_dir / PDM68))


@pytest.fixture(scope="module")
def pdm64(model_dir):
    return pyfacelm.PDM(str(model_dir / PDM68), dtype="float64")


def random_instance(pdm, rng):
    """A random face: yaw +-45, pitch/roll +-30 deg, p in +-2.5 sqrt(lambda), 80-400 px wide."""
    rot = np.radians([rng.uniform(-30, 30), rng.uniform(-45, 45), rng.uniform(-30, 30)])
    p = rng.uniform(-2.5, 2.5, pdm.n_modes) * np.sqrt(pdm.eigenvalues)
    width = rng.uniform(80, 400)
    s = width / np.ptp(pdm.shape3d(p)[:, 0])
    g = np.array([s, *rot, rng.uniform(200, 1000), rng.uniform(200, 800)])
    return g, p


def numeric_jacobian(pdm, g, p, eps=1e-6):
    """Central differences; rotation columns perturb R by R (I + [w]x)."""
    n, m = pdm.n_points, pdm.n_modes

    def proj(g, p):
        xy = pdm.project(g, p)
        return np.concatenate([xy[:, 0], xy[:, 1]])

    def rotate(g, w):
        # Apply R(g) (I + [w]x) exactly, then back to Euler angles through update() with only
        # a rotation delta would reuse the code under test; use an independent path instead.
        from math import asin, atan2

        rx, ry, rz = g[1:4]
        Rx = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
        Ry = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
        Rz = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
        W = np.array([[0, -w[2], w[1]], [w[2], 0, -w[0]], [-w[1], w[0], 0]])
        R = Rx @ Ry @ Rz @ (np.eye(3) + W)
        u, _, vt = np.linalg.svd(R)
        R = u @ vt
        ry2 = asin(np.clip(R[0, 2], -1, 1))
        rx2 = atan2(-R[1, 2], R[2, 2])
        rz2 = atan2(-R[0, 1], R[0, 0])
        out = g.copy()
        out[1:4] = [rx2, ry2, rz2]
        return out

    J = np.zeros((2 * n, 6 + m))
    for k in range(6 + m):
        gp, gm, pp, pm = g.copy(), g.copy(), p.copy(), p.copy()
        if k in (1, 2, 3):
            w = np.zeros(3)
            w[k - 1] = eps
            gp, gm = rotate(g, w), rotate(g, -w)
        elif k < 6:
            gp[k] += eps
            gm[k] -= eps
        else:
            pp[k - 6] += eps
            pm[k - 6] -= eps
        J[:, k] = (proj(gp, pp) - proj(gm, pm)) / (2 * eps)
    return J


def check_jacobian(pdm64, rng, cases=5):
    for _ in range(cases):
        g, p = random_instance(pdm64, rng)
        J = pdm64.jacobian(g, p)
        Jn = numeric_jacobian(pdm64, g, p)
        scale = np.abs(Jn).max(axis=0)
        rel = np.abs(J - Jn).max(axis=0) / scale
        assert rel.max() < 1e-6, rel
        Jr = pdm64.jacobian(g, p, rigid=True)
        np.testing.assert_array_equal(Jr, J[:, :6])


def round_trip(pdm, rng, cases, reg_factor=1.0):
    errs = []
    for _ in range(cases):
        g, p = random_instance(pdm, rng)
        lm = pdm.project(g, p)
        g2, p2 = pdm.fit_landmarks(lm, reg_factor=reg_factor)
        errs.append(np.linalg.norm(pdm.project(g2, p2) - lm, axis=1))
    return np.concatenate(errs)


# ------------------------------------------------------------------ model-free (synthetic PDM)


def test_synthetic_pdm_loads(synthetic_pdm_path):
    m = pyfacelm.PDM(str(synthetic_pdm_path))
    assert (m.n_points, m.n_modes) == (20, 6)
    assert m.mean_shape.shape == (20, 3)
    assert m.shape3d().shape == (20, 3)
    np.testing.assert_allclose(m.shape3d(), m.mean_shape)


def test_synthetic_jacobian_matches_finite_differences(synthetic_pdm_path):
    check_jacobian(pyfacelm.PDM(str(synthetic_pdm_path), dtype="float64"), np.random.default_rng(1))


def test_synthetic_round_trip(synthetic_pdm_path):
    m = pyfacelm.PDM(str(synthetic_pdm_path), dtype="float64")
    errs = round_trip(m, np.random.default_rng(2), 50, reg_factor=0.0)
    assert errs.mean() < 0.05 and errs.max() < 0.5, (errs.mean(), errs.max())


def test_projection_is_weak_perspective(synthetic_pdm_path):
    m = pyfacelm.PDM(str(synthetic_pdm_path), dtype="float64")
    g = np.array([1.7, 0.2, -0.4, 0.3, 50.0, 60.0])
    S = m.shape3d()
    rx, ry, rz = g[1:4]
    Rx = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    Ry = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    Rz = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    expected = g[0] * (S @ (Rx @ Ry @ Rz).T)[:, :2] + g[4:6]
    np.testing.assert_allclose(m.project(g), expected, rtol=0, atol=1e-9)


def test_update_composes_rotations(synthetic_pdm_path):
    m = pyfacelm.PDM(str(synthetic_pdm_path), dtype="float64")
    g = np.array([1.0, 0.1, 0.2, -0.1, 0.0, 0.0])
    delta = np.zeros(6 + m.n_modes)
    delta[[0, 2, 4, 5, 6]] = [0.5, 1e-3, 2.0, -3.0, 4.0]
    g2, p2 = m.update(g, np.zeros(m.n_modes), delta)
    assert (
        g2[0] == pytest.approx(1.5) and g2[4] == pytest.approx(2.0) and g2[5] == pytest.approx(-3.0)
    )
    assert p2[0] == pytest.approx(4.0)
    # A small rotation about y: the new landmarks move as the Jacobian predicts.
    J = m.jacobian(g, np.zeros(m.n_modes))
    d = np.zeros(6 + m.n_modes)
    d[2] = 1e-4
    g3, _ = m.update(g, np.zeros(m.n_modes), d)
    moved = m.project(g3) - m.project(g)
    predicted = (J @ d).reshape(2, -1).T
    np.testing.assert_allclose(moved, predicted, atol=1e-6)


def test_clamp(synthetic_pdm_path):
    m = pyfacelm.PDM(str(synthetic_pdm_path), dtype="float64")
    lim = 3 * np.sqrt(m.eigenvalues)
    p = np.array([10, -10, 0.5, -0.5, 100, -100.0]) * lim
    np.testing.assert_allclose(m.clamp(p), np.clip(p, -lim, lim))


def test_missing_landmarks_are_ignored(synthetic_pdm_path):
    m = pyfacelm.PDM(str(synthetic_pdm_path), dtype="float64")
    g = np.array([2.0, 0.1, 0.3, 0.05, 300.0, 250.0])
    lm = m.project(g)
    lm_missing = lm.copy()
    lm_missing[[2, 5, 7]] = [0.0, 123.0]  # x == 0 marks a missing landmark (OpenFace's convention)
    g2, p2 = m.fit_landmarks(lm_missing)
    proj = m.project(g2, p2)
    keep = np.setdiff1d(np.arange(m.n_points), [2, 5, 7])
    assert np.abs(proj[keep] - lm[keep]).max() < 0.5


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.project([1, 0, 0, 0, 0]),
        lambda m: m.project([1, 0, 0, 0, 0, float("nan")]),
        lambda m: m.project([1, 0, 0, 0, 0, 0], [0.0] * 3),
        lambda m: m.params_from_box((0, 0, 0, 10)),
        lambda m: m.params_from_box((0, 0, float("inf"), 10)),
        lambda m: m.fit_landmarks(np.zeros((20, 2))),
        lambda m: m.fit_landmarks(np.zeros((19, 2))),
        lambda m: m.fit_landmarks(np.full((20, 2), np.nan)),
        lambda m: m.update([1, 0, 0, 0, 0, 0], None, [0.0] * 5),
    ],
)
def test_bad_arguments_raise_value_error(synthetic_pdm_path, call):
    m = pyfacelm.PDM(str(synthetic_pdm_path))
    with pytest.raises(ValueError):
        call(m)


def test_bad_dtype_name(synthetic_pdm_path):
    with pytest.raises(ValueError, match="dtype"):
        pyfacelm.PDM(str(synthetic_pdm_path), dtype="float16")


# ------------------------------------------------------------------ OpenFace's 68-point PDM


def test_shipped_pdm_dimensions(pdm):
    assert (pdm.n_points, pdm.n_modes) == (68, 34)
    assert pdm.eigenvalues[0] == pytest.approx(826.2, abs=0.1)
    assert pdm.eigenvalues[-1] == pytest.approx(0.5827, abs=1e-4)
    lo, hi = pdm.mean_shape.min(axis=0), pdm.mean_shape.max(axis=0)
    np.testing.assert_allclose(lo, [-73.39, -62.78, -36.95], atol=0.01)
    np.testing.assert_allclose(hi, [71.38, 77.06, 47.67], atol=0.01)


def test_params_from_box_worked_numbers(pdm):
    # SPEC §14: a 200x200 box at (100, 120).
    g = pdm.params_from_box((100, 120, 200, 200))
    assert g[0] == pytest.approx(1.40586, abs=5e-6)
    assert g[4] == pytest.approx(201.418, abs=5e-4)
    assert g[5] == pytest.approx(209.960, abs=5e-4)
    np.testing.assert_array_equal(g[1:4], 0)
    # The scale is the mean of the two axis ratios, so for a square box the projected tight box
    # shares the centre of the input box, and its sides are 200 * (ratio / mean ratio).
    x, y, w, h = pdm.bounding_box(g)
    assert x + w / 2 == pytest.approx(200, abs=0.01) and y + h / 2 == pytest.approx(220, abs=0.01)
    mw, mh = np.ptp(pdm.mean_shape[:, 0]), np.ptp(pdm.mean_shape[:, 1])
    assert w == pytest.approx(g[0] * mw, abs=0.01) and h == pytest.approx(g[0] * mh, abs=0.01)
    assert g[0] == pytest.approx((200 / mw + 200 / mh) / 2, rel=1e-6)


def test_params_from_box_reproduces_box_of_model_aspect(pdm):
    mw, mh = np.ptp(pdm.mean_shape[:, 0]), np.ptp(pdm.mean_shape[:, 1])
    for box in [
        (100, 120, 2 * mw, 2 * mh),
        (13.5, 7.25, 0.6 * mw, 0.6 * mh),
        (400, 300, 3.1 * mw, 3.1 * mh),
    ]:
        g = pdm.params_from_box(box)
        np.testing.assert_allclose(pdm.bounding_box(g), box, atol=0.01)


def test_params_from_box_matches_reference_init(pdm, reference):
    ref = reference("images_clnf.json")
    for img in ref.values():
        for face in img["faces"]:
            init = face["init_from_bbox"]
            g = pdm.params_from_box(face["bbox"])
            np.testing.assert_allclose(g, init["params_global"], rtol=1e-6, atol=1e-5)
            np.testing.assert_allclose(pdm.project(g), init["landmarks"], atol=1e-3)


def test_jacobian_matches_finite_differences(pdm64):
    check_jacobian(pdm64, np.random.default_rng(3))


def test_float32_jacobian_close_to_float64(pdm, pdm64):
    g, p = random_instance(pdm64, np.random.default_rng(4))
    np.testing.assert_allclose(pdm.jacobian(g, p), pdm64.jacobian(g, p), rtol=1e-4, atol=1e-3)


def test_round_trip_200_random_faces(pdm):
    # The failure of the earlier pure-Python attempt (448 px): project, refit, project again.
    # Without the shape prior the geometry must invert exactly.
    errs = round_trip(pdm, np.random.default_rng(5), 200, reg_factor=0.0)
    assert errs.mean() < 0.05, errs.mean()
    assert errs.max() < 0.5, errs.max()


def test_round_trip_with_openface_prior_is_the_map_fit(pdm64):
    """With OpenFace's prior (reg_factor=1) the fit trades a fraction of a pixel for a more
    likely shape: the result must score better than the true parameters on that objective."""
    rng = np.random.default_rng(6)
    lam = pdm64.eigenvalues
    errs = []
    for _ in range(50):
        g, p = random_instance(pdm64, rng)
        lm = pdm64.project(g, p)
        g2, p2 = pdm64.fit_landmarks(lm)

        def objective(g_, p_, lm=lm):
            return ((pdm64.project(g_, p_) - lm) ** 2).sum() + (p_**2 / lam).sum()

        assert objective(g2, p2) <= objective(g, p)
        errs.append(np.linalg.norm(pdm64.project(g2, p2) - lm, axis=1))
    errs = np.concatenate(errs)
    assert errs.mean() < 0.5 and errs.max() < 3.0, (errs.mean(), errs.max())


def test_fit_landmarks_on_reference_landmarks(pdm, reference):
    """Refitting the original's final landmarks re-projects onto them (< 0.5 px)."""
    ref = reference("images_clnf.json")
    worst = 0.0
    for img in ref.values():
        for face in img["faces"]:
            lm = np.array(face["landmarks"])
            g, p = pdm.fit_landmarks(lm)
            worst = max(worst, np.abs(pdm.project(g, p) - lm).max())
    assert worst < 0.5, worst


def test_fit_landmarks_reproduces_openface_refit(pdm, model_dir, reference):
    """OpenFace's final parameters come from CalcParams on the main-model landmarks with the part
    models' points written in (SPEC §5.3). Rebuilding that target from the reference's per-stage
    outputs, fit_landmarks must give the original's params_global."""
    cfg = pyfacelm._clnf.read_main_config(str(model_dir / "main_clnf_general.txt"))
    ref = reference("images_clnf.json")
    checked = 0
    for img in ref.values():
        for face in img["faces"]:
            g_ref = np.array(face["params_global"])
            if face["confidence"] == 0 or g_ref[0] <= 0.9:
                continue  # fit stopped early, or parts not fitted: no re-fit happened
            target = np.array(face["stages_main_model_only"][-1]["landmarks"])
            for part in cfg["parts"]:
                pts = np.array(face["parts"][part["name"]]["landmarks"])
                for i, j in part["mapping"]:
                    target[i] = pts[j]
            g, p = pdm.fit_landmarks(target.astype(np.float32))
            np.testing.assert_allclose(g[[0, 4, 5]], g_ref[[0, 4, 5]], rtol=1e-3)
            np.testing.assert_allclose(g[1:4], g_ref[1:4], atol=1e-3)
            np.testing.assert_allclose(pdm.project(g, p), face["landmarks"], atol=0.01)
            checked += 1
    assert checked > 50


def test_fit_landmarks_against_the_face_analysers_fit(pdm, reference):
    """SPEC_AU §3.2: the FaceAnalyser's CalcParams on the exact landmarks it received, all 288
    frames of default.wmv (its AU_predictors PDM is byte-identical to PDM68). Not bit-exact, and no
    arithmetic variant tried is (tools/calcparams_variants.py): the fit turns a one-ulp change of
    its input into a change of p as large as our difference to the original. Measured: nudging
    one landmark coordinate by one float ulp moves our p by a median 3.4e-5, max 1.6e-4; ours vs
    the original: median 4.0e-5, max 1.7e-4; translation exact, scale within one ulp, rotation
    within 3.7e-7 rad (first 5 frames, the only ones with the original's params_global)."""
    probe = reference("au/default_aligned/default_probe.json")
    dp = []
    for i, lm in enumerate(probe["landmarks_all"]):
        xy = np.float32(lm).reshape(2, 68).T
        g, p = pdm.fit_landmarks(xy)
        dp.append(np.abs(np.float32(p) - np.float32(probe["geom_all"][i][204:])).max())
        if i < len(probe["frames"]):
            g32, ref = np.float32(g), np.float32(probe["frames"][i]["fa_params_global"])
            assert (g32[4:] == ref[4:]).all()
            assert abs(g32[0] - ref[0]) <= np.spacing(ref[0])
            assert np.abs(g32[1:4] - ref[1:4]).max() <= 5e-7
    assert len(dp) == 288
    assert max(dp) <= 2e-4 and np.median(dp) <= 5e-5, (max(dp), np.median(dp))


@pytest.mark.parametrize(
    "name", ["images_clnf.json", "images_clm.json", "images_clnf_divergent.json"]
)
def test_shape_and_projection_match_to_float_rounding(pdm, reference, name):
    """S = mean + V p (SPEC §2.1) and its float projection (§2.3): the original's shape_3d_pdm and
    final landmarks (= CalcShape2D of its final parameters) come back from its params_local /
    params_global up to the last float bits of the sum's order (OpenFace's BLAS sums in 16
    partial sums; matching that order bit for bit was tried and moved tracked fits chaotically
    by more than it gained). Measured: shape max 7.6e-6 mm, landmarks max 1.2e-4 px (2.4e-4 px
    on the divergent file's ~4000 px wide image)."""
    for img in reference(name).values():
        for face in img["faces"]:
            shape = np.asarray(pdm.shape3d(face["params_local"]), np.float32)
            np.testing.assert_allclose(shape, np.float32(face["shape_3d_pdm"]), rtol=0, atol=1e-5)
            xy = np.asarray(pdm.project(face["params_global"], face["params_local"]), np.float32)
            np.testing.assert_allclose(xy, np.float32(face["landmarks"]), rtol=0, atol=3e-4)


PART_PDMS = {
    "inner": "model_inner/pdms/pdm_51_inner.txt",  # 32 modes: 16 partial sums
    "left_eye_28": "model_eye/pdms/pdm_28_l_eye_3D_closed.txt",  # 10 modes: one running sum
    "right_eye_28": "model_eye/pdms/pdm_28_eye_3D_closed.txt",
}


@pytest.mark.parametrize("name", ["images_clnf.json", "images_clm.json"])
def test_part_model_projection_matches_to_float_rounding(model_dir, reference, name):
    """The part models' landmarks are CalcShape2D of their parameters (measured max 1.2e-4 px)."""
    pdms = {part: pyfacelm.PDM(str(model_dir / path)) for part, path in PART_PDMS.items()}
    for img in reference(name).values():
        for face in img["faces"]:
            for part, state in face["parts"].items():
                xy = pdms[part].project(state["params_global"], state["params_local"])
                np.testing.assert_allclose(
                    np.float32(xy), np.float32(state["landmarks"]), rtol=0, atol=1.5e-4
                )


def test_fit_landmarks_with_missing_points_against_the_originals_unfitted_parts(
    model_dir, reference
):
    """Where the main fit's scale is <= 0.9 the part models are not fitted (SPEC §5.3), so their
    parameters are CalcParams of the mapped main landmarks alone: for the eyes 6 of 28 points,
    the other 22 missing (x == 0). Measured on the two such faces of sample2.jpg: translation
    exact for the eyes and within 2 ulp for the inner model; p within 2.9e-5 (eyes), 8.0e-5
    (inner); scale and rotation within 6.2e-6."""
    cfg = pyfacelm._clnf.read_main_config(str(model_dir / "main_clnf_general.txt"))
    pdms = {part: pyfacelm.PDM(str(model_dir / path)) for part, path in PART_PDMS.items()}
    checked = 0
    for img in reference("images_clnf.json").values():
        for face in img["faces"]:
            main = face["stages_main_model_only"][-1]
            if face["confidence"] == 0 or main["params_global"][0] > 0.9:
                continue
            for part in cfg["parts"]:
                pdm = pdms[part["name"]]
                target = np.zeros((pdm.n_points, 2), np.float32)
                for i, j in part["mapping"]:
                    target[j] = main["landmarks"][i]
                g, p = pdm.fit_landmarks(target)
                g32, p32 = np.float32(g), np.float32(p)
                ref = face["parts"][part["name"]]
                g_ref, p_ref = np.float32(ref["params_global"]), np.float32(ref["params_local"])
                if part["name"] == "inner":
                    assert (np.abs(g32[4:] - g_ref[4:]) <= 2 * np.spacing(g_ref[4:])).all()
                    assert np.abs(p32 - p_ref).max() <= 1e-4
                else:
                    assert (g32[4:] == g_ref[4:]).all()
                    assert np.abs(p32 - p_ref).max() <= 4e-5
                assert np.abs(g32[:4] - g_ref[:4]).max() <= 1e-5
                checked += 1
    assert checked == 6
