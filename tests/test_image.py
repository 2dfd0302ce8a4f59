"""Zero-copy image views and OpenFace's gray conversion (SPEC §12.2)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import missing

import pyfacelm
from pyfacelm import _clnf

cv2 = pytest.importorskip(
    "cv2", reason="opencv-python-headless (test extra) is needed for cross-checks"
)


def gray_cv(img_bgr):
    return cv2.cvtColor(np.ascontiguousarray(img_bgr), cv2.COLOR_BGR2GRAY)


@pytest.mark.parametrize("seed", range(5))
def test_to_gray_matches_opencv_on_random_images(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 300, 2)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    np.testing.assert_array_equal(pyfacelm.to_gray(img), gray_cv(img))


@pytest.mark.parametrize("color", ["bgr", "rgb"])
def test_to_gray_every_width_around_the_vector_steps(color):
    # Packed rows go 16 pixels at a time through the AVX2 kernel (where the CPU has it), which
    # stops 2 pixels short of a row's end; the rest takes the portable loop. Every split occurs.
    rng = np.random.default_rng(7)
    code = cv2.COLOR_BGR2GRAY if color == "bgr" else cv2.COLOR_RGB2GRAY
    for w in range(1, 70):
        img = rng.integers(0, 256, (3, w, 3), dtype=np.uint8)
        np.testing.assert_array_equal(
            pyfacelm.to_gray(img, color=color), cv2.cvtColor(img, code), str(w)
        )


def test_to_gray_all_byte_values():
    # Every (B, G, R) combination on a coarse grid, plus the extremes.
    v = np.arange(0, 256, 5, dtype=np.uint8)
    b, g, r = np.meshgrid(v, v, v, indexing="ij")
    img = np.stack([b.ravel(), g.ravel(), r.ravel()], axis=1).reshape(-1, len(v), 3)
    np.testing.assert_array_equal(pyfacelm.to_gray(img), gray_cv(img))



@pytest.mark.parametrize("kernel", ["best", "baseline", "scalar"])
@pytest.mark.parametrize("color", ["bgr", "rgb"])
def test_to_gray_every_colour(color, kernel):
    # All 2^24 (c0, c1, c2) triples, in rows of 4096: every loop for packed rows (AVX2 where
    # the CPU has it, the baseline SSE2 one, the scalar formula) must give OpenCV's value for
    # every colour, not only for a sample.
    img = np.arange(1 << 24, dtype=np.uint32).view(np.uint8).reshape(4096, 4096, 4)[:, :, :3]
    img = np.ascontiguousarray(img)
    bgr = img if color == "bgr" else img[:, :, ::-1]
    want = gray_cv(bgr)
    np.testing.assert_array_equal(_clnf._to_gray_kernel(img, color, kernel), want)
    if kernel == "best":
        np.testing.assert_array_equal(pyfacelm.to_gray(img, color=color), want)


@pytest.mark.parametrize("offset", [0, 1, 5])
def test_to_gray_every_width(offset):
    # Widths around the 8-pixel vector steps and their scalar tails, in rows with padding
    # (a column crop keeps packed pixels but a longer row stride).
    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, (6, 64, 3), dtype=np.uint8)
    for w in range(1, 64 - offset):
        img = base[:, offset : offset + w]
        want = gray_cv(img)
        np.testing.assert_array_equal(pyfacelm.to_gray(img), want, err_msg=f"width {w}")
        got = _clnf._to_gray_kernel(img, "bgr", "baseline")
        np.testing.assert_array_equal(got, want, err_msg=f"baseline, width {w}")

@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[::2, ::3],
        lambda a: a[::-1, ::-1],
        lambda a: a[10:50, 7:90],
        lambda a: np.asfortranarray(a),
        lambda a: a.transpose(1, 0, 2),
        lambda a: a[:, :, ::-1][:, :, ::-1],
    ],
)
def test_to_gray_strided_views(view):
    rng = np.random.default_rng(7)
    img = view(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    np.testing.assert_array_equal(pyfacelm.to_gray(img), gray_cv(img))


def test_rgb_order():
    rng = np.random.default_rng(8)
    bgr = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    rgb = bgr[:, :, ::-1]
    np.testing.assert_array_equal(pyfacelm.to_gray(rgb, color="rgb"), gray_cv(bgr))
    np.testing.assert_array_equal(
        pyfacelm.to_gray(np.ascontiguousarray(rgb), color="RGB"), gray_cv(bgr)
    )


def test_gray_input_is_copied_unchanged():
    rng = np.random.default_rng(9)
    g = rng.integers(0, 256, (33, 44), dtype=np.uint8)
    np.testing.assert_array_equal(pyfacelm.to_gray(g), g)
    np.testing.assert_array_equal(pyfacelm.to_gray(g[:, :, None]), g)
    np.testing.assert_array_equal(pyfacelm.to_gray(g[::-1, ::2]), g[::-1, ::2])


def test_sample_images_match_opencv(samples_dir):
    paths = sorted(samples_dir.glob("*.jpg")) + sorted(samples_dir.glob("*.png"))
    assert paths
    for p in paths:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(pyfacelm.to_gray(img), gray_cv(img), err_msg=str(p))


def test_uint16_is_scaled_like_openface():
    # OpenFace divides 16-bit images by 256 (rounded) before converting to 8 bits.
    rng = np.random.default_rng(10)
    img16 = rng.integers(0, 65536, (30, 40, 3), dtype=np.uint16)
    as8 = np.clip(np.rint(img16 / 256.0), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(pyfacelm.to_gray(img16), gray_cv(as8))
    np.testing.assert_array_equal(pyfacelm.to_gray(img16.astype(">u2")), gray_cv(as8))
    edge = np.array([[0, 127, 128, 384, 65535]], dtype=np.uint16)
    np.testing.assert_array_equal(pyfacelm.to_gray(edge), [[0, 0, 0, 2, 255]])
    assert _clnf._image_view_info(img16)["copied"] is True


def test_sample_16bit_png_matches_reference_decoding(samples_dir):
    # cv2.IMREAD_UNCHANGED keeps 16 bits; our scaling must equal OpenCV's own 16->8 conversion.
    p = samples_dir / "sample3_16bit_rgb.png"
    if not p.exists():
        missing("16-bit sample not available")
    img16 = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    assert img16.dtype == np.uint16
    as8 = (
        cv2.convertScaleAbs(img16, alpha=1 / 256.0) if img16.ndim == 2 else (img16 / 256.0).round()
    )
    as8 = np.clip(as8, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(pyfacelm.to_gray(img16), gray_cv(as8) if as8.ndim == 3 else as8)


def test_no_copy_for_uint8_views():
    base = np.random.default_rng(11).integers(0, 256, (100, 120, 3), dtype=np.uint8)
    for view in (base, base[5:, 3:], base[::2, ::-1], np.asfortranarray(base)):
        info = _clnf._image_view_info(view)
        assert info["copied"] is False
        assert info["data"] == view.__array_interface__["data"][0]
        assert info["strides"] == view.strides
        assert (info["rows"], info["cols"], info["channels"]) == view.shape
    g = base[:, :, 1]
    info = _clnf._image_view_info(g)
    assert info["data"] == g.__array_interface__["data"][0] and info["copied"] is False


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (np.zeros((10, 10, 3), np.float32), TypeError, "dtype"),
        (np.zeros((10, 10), np.int8), TypeError, "dtype"),
        (np.zeros((10, 10), bool), TypeError, "dtype"),
        (np.zeros((10, 10, 4), np.uint8), ValueError, "4 channels"),
        (np.zeros((10, 10, 2), np.uint8), ValueError, "2 channels"),
        (np.zeros((10,), np.uint8), ValueError, "dimensions"),
        (np.zeros((2, 10, 10, 3), np.uint8), ValueError, "dimensions"),
        (np.zeros((0, 10), np.uint8), ValueError, "empty"),
        (np.zeros((10, 0, 3), np.uint8), ValueError, "empty"),
        ([[1, 2], [3, 4]], TypeError, "numpy.ndarray"),
        (None, TypeError, "numpy.ndarray"),
    ],
)
def test_bad_images_raise_clear_errors(bad, exc, words):
    with pytest.raises(exc, match=words):
        pyfacelm.to_gray(bad)


def test_bad_color_name():
    with pytest.raises(ValueError, match="color"):
        pyfacelm.to_gray(np.zeros((4, 4, 3), np.uint8), color="hsv")
