"""``pyfacelm image`` through the real entry point: folders, globs and list files; streaming one
image at a time with bounded memory; unreadable files skipped with a warning; CSV edge cases;
unique drawing names; OpenCV's and the decoders' own messages kept off the terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import pyfacelm_script, read_csv, run_cli
from conftest import SAMPLES, SHARED

from pyfacelm.console import Progress
from pyfacelm.drawing import drawing_names

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the video extra) is needed")

EXTRA_IMAGES = SHARED / "extra" / "images"
# All CRF factors of CLNF, float lower-triangular win^2 x win^2 matrices stored square: 210 distinct
# experts x (121^2 + 81^2 + 49^2) (main model, 3 scales) + 158 x 81^2 (inner) + the eyes' 28 x
# (9^2 + 25^2) x 2 floats = 6.03 M floats.
CRF_FACTORS_MB = 6.03e6 * 4 / 2**20


@pytest.fixture()
def env(model_dir):
    return dict(os.environ, PYFACELM_MODEL_DIR=str(model_dir))


def image_rows(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    by_image: dict[str, list[list[str]]] = {}
    for r in rows:
        by_image.setdefault(r[0], []).append(r)
    return by_image


def test_folders_globs_and_list_files(env, samples_dir, tmp_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    (photos / "a.jpg").symlink_to(SAMPLES / "sample1.jpg")
    (photos / "sub" / "b.JPG").symlink_to(SAMPLES / "sample1.jpg")
    (photos / "notes.txt").write_text("not an image")
    out = tmp_path / "o.csv"

    r = run_cli("image", str(photos), "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert set(image_rows(read_csv(out)[1])) == {str(photos / "a.jpg")}

    r = run_cli("image", str(photos), "--recursive", "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert set(image_rows(read_csv(out)[1])) == {str(photos / "a.jpg"), str(photos / "sub/b.JPG")}

    # A pattern the shell did not expand (Windows shells never do), and a list file.
    listing = tmp_path / "list.txt"
    listing.write_text(f"# my photos\n\n{photos / 'sub' / 'b.JPG'}\n")
    r = run_cli("image", str(photos / "*.jpg"), "--list", str(listing), "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    names = [row[0] for row in read_csv(out)[1]]
    assert names == [str(photos / "a.jpg"), str(photos / "sub/b.JPG")]


def peak_rss_mb_of(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run the CLI from a fresh interpreter that reports its only child's peak RSS."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE, text=True)\n"
        "sys.stdout.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + '\\n')\n"
        "sys.stdout.write(str(r.returncode) + '\\n' + r.stderr)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", probe, pyfacelm_script(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    kb, rc, err = p.stdout.split("\n", 2)
    return int(kb) / 1024, int(rc), err


@pytest.mark.skipif(not EXTRA_IMAGES.is_dir(), reason=f"{EXTRA_IMAGES} not available")
def test_sixty_photos_stream_with_bounded_memory_past_a_corrupt_file(env, model_dir, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    originals = sorted(p for p in EXTRA_IMAGES.iterdir() if p.is_file())
    assert len(originals) == 60
    for p in originals:
        (photos / p.name).symlink_to(p)
    (photos / "zz_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG body" * 10)
    out = tmp_path / "out.csv"

    peak_mb, rc, err = peak_rss_mb_of(["image", str(photos), "-o", str(out)], env)

    assert rc == 1 and "Traceback" not in err
    lines = err.splitlines()
    assert lines[-1] == "pyfacelm: error: 1 of 61 inputs failed (see the warnings above)"
    assert lines[:-1] == [
        f"pyfacelm: warning: cannot decode {photos / 'zz_corrupt.jpg'}: "
        "not an image format OpenCV reads, or corrupt"
    ]
    head, rows = read_csv(out)
    by_image = image_rows(rows)
    assert sorted(by_image) == sorted(str(photos / p.name) for p in originals)
    success = head.index("success")
    faceless = 0
    for name, rs in by_image.items():
        # One row per face (numbered 0..n-1), or one row of zeros with success 0 for an image
        # without a face.
        assert [r[1] for r in rs] == [str(i) for i in range(len(rs))], name
        empty = [set(r[success + 1 :]) == {"0"} for r in rs]
        if any(empty):
            assert empty == [True] and rs[0][2:4] == ["0.000", "0"], name
            faceless += 1
    assert 0 < faceless < 60 and len(rows) > 60  # both kinds occur in this folder
    # Memory does not grow with the number of images: the whole folder peaks where its largest
    # photo (4220x2373, 30 MB decoded, plus 17 MB for MTCNN's first pyramid level) alone does,
    # on top of about 90 MB for Python, numpy, OpenCV and the loaded models - plus the CCNF CRF
    # factors of the views the folder's faces use beyond that photo's: they are factorised on
    # first use and kept, at most CRF_FACTORS_MB for CLNF (measured +8.8 MB here). Measured
    # 138 MB (155 MB before decoding without a second copy and running PNet in bands); the
    # issue's bound is 150 MB.
    # (Not under AddressSanitizer, whose shadow memory and quarantine change every figure.)
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        largest = max(originals, key=lambda p: p.stat().st_size if p.suffix == ".jpg" else 0)
        one = ["image", str(largest), "-o", str(tmp_path / "1.csv")]
        alone_mb, rc1, _ = peak_rss_mb_of(one, env)
        assert rc1 == 0
        assert peak_mb < alone_mb + 8 + CRF_FACTORS_MB and peak_mb < 150, (peak_mb, alone_mb)
    # The rows of a few images match the API (same detector, same numbers).
    from pyfacelm import CLNFDetector

    det = CLNFDetector("clnf", model_dir)
    xi = head.index("x_0")
    for stem in ("bob_ip_flandmark__multi.jpg", "insightface__Tom_Hanks_54745.png"):
        faces = det.detect(cv2.imread(str(EXTRA_IMAGES / stem)))
        rs = by_image[str(photos / stem)]
        assert len(rs) == max(1, len(faces))
        for f, r in zip(faces, rs):
            xs = np.array(r[xi : xi + 68], float)
            np.testing.assert_allclose(xs, f.landmarks[:, 0], atol=0.051)


def test_csv_edge_cases_header_only_faceless_rows_and_sep(env, samples_dir, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 127, np.uint8))
    out = tmp_path / "o.csv"
    # An image without a face: one row, success 0, so that row counts match the inputs.
    r = run_cli("image", str(blank), str(SAMPLES / "sample1.jpg"), "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    head, rows = read_csv(out)
    assert rows[0][:4] == [str(blank), "0", "0.000", "0"] and set(rows[0][4:]) == {"0"}
    assert rows[1][0] == str(SAMPLES / "sample1.jpg") and rows[1][3] == "1"
    assert all(len(r) == len(head) for r in rows)
    # The older ", " separator on request.
    r = run_cli("image", str(SAMPLES / "sample1.jpg"), "--sep", ", ", "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert text.startswith("image, face, confidence, success, gaze_0_x, ")
    assert text.splitlines()[1].count(", ") == len(head) - 1
    # Zero faces in multi-face video mode: a header-only CSV, not an empty file.
    seq = tmp_path / "blank_seq"
    seq.mkdir()
    for i in range(3):
        cv2.imwrite(str(seq / f"{i}.png"), np.full((120, 160, 3), 127, np.uint8))
    r = run_cli("video", str(seq), "--max-faces", "2", "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    head, rows = read_csv(out)
    assert head[:2] == ["frame", "face_id"] and rows == []
    # Every input failed: still a header.
    r = run_cli("image", str(tmp_path / "nope.jpg"), "-o", str(out), env=env)
    assert r.returncode == 1
    head, rows = read_csv(out)
    assert head[0] == "image" and rows == []


def test_drawing_names_are_unique():
    assert drawing_names(["a/x.jpg", "b/y.jpg"]) == ["x.png", "y.png"]
    names = drawing_names(["a/x.jpg", "b/x.jpg", "a/x.png", "c/z.jpg"])
    assert names == ["a_x.jpg.png", "b_x.jpg.png", "a_x.png.png", "z.png"]
    same = drawing_names(["a/x.jpg", "a/x.jpg", "a/X.jpg"])
    assert same == ["x.jpg.png", "x.jpg-2.png", "X.png"]
    assert len(set(n.lower() for n in drawing_names(["p/q.jpg", "p/Q.jpg"]))) == 2


def test_draw_keeps_same_stem_inputs_apart(env, samples_dir, tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    (tmp_path / "a" / "x.jpg").symlink_to(SAMPLES / "sample1.jpg")
    (tmp_path / "b" / "x.jpg").symlink_to(SAMPLES / "sample2.jpg")
    cv2.imwrite(str(tmp_path / "a" / "x.png"), cv2.imread(str(SAMPLES / "sample3.jpg")))
    drawn = tmp_path / "drawn"
    args = [str(tmp_path / p) for p in ("a/x.jpg", "b/x.jpg", "a/x.png")]
    r = run_cli("image", *args, "--draw", str(drawn), "-o", str(tmp_path / "o.csv"), env=env)
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in drawn.iterdir())
    assert files == ["a_x.jpg.png", "a_x.png.png", "b_x.jpg.png"]
    shapes = {f: cv2.imread(str(drawn / f)).shape for f in files}
    assert shapes["a_x.jpg.png"] == cv2.imread(str(SAMPLES / "sample1.jpg")).shape
    assert shapes["b_x.jpg.png"] == cv2.imread(str(SAMPLES / "sample2.jpg")).shape


def test_decoder_messages_become_our_warning(env, samples_dir, tmp_path):
    data = (SAMPLES / "sample1.jpg").read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    r = run_cli("image", str(truncated), "-o", str(tmp_path / "o.csv"), env=env)
    # Decoded in part: used, with our one-line warning instead of libjpeg's bare message.
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        f"pyfacelm: warning: {truncated}: Premature end of JPEG file (used what could be decoded)"
    ]


def test_opencv_is_silent_in_the_api(tmp_path, capfd):
    from pyfacelm.video import open_video, read_image

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(OSError, match="cannot decode"):
        open_video(bad)
    with pytest.raises(OSError, match="cannot decode"):
        read_image(bad)
    with pytest.raises(OSError, match="camera 7"):
        open_video(7)
    out, err = capfd.readouterr()
    assert err == "" and out == ""
    # The caller's own OpenCV log level is restored afterwards.
    assert cv2.utils.logging.getLogLevel() != cv2.utils.logging.LOG_LEVEL_SILENT


def test_progress_line_and_warnings():
    stream = io.StringIO()
    p = Progress("images", 3, enabled=True, stream=stream)
    p.update(1, force=True)
    p.warn("x.jpg: cannot decode")
    p.update(3, force=True)
    p.close()
    text = stream.getvalue()
    assert "\r1/3 images" in text and "\r3/3 images" in text and "ETA" in text
    assert "\npyfacelm: warning: x.jpg: cannot decode\n" in text and text.endswith("\n")
    quiet = io.StringIO()
    q = Progress("images", 3, enabled=False, stream=quiet)
    q.update(3, force=True)
    q.close()
    assert quiet.getvalue() == ""


def test_list_from_stdin_and_relative_paths(env, samples_dir, tmp_path):
    (tmp_path / "x.jpg").symlink_to(SAMPLES / "sample1.jpg")
    r = run_cli("image", "--list", "-", "-o", "o.csv", env=env, input="x.jpg\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert [row[0] for row in read_csv(tmp_path / "o.csv")[1]] == ["x.jpg"]


def test_missing_inputs_do_not_stop_the_others(env, samples_dir, tmp_path):
    out = tmp_path / "o.csv"
    r = run_cli(
        "image", str(tmp_path / "gone.jpg"), str(SAMPLES / "sample1.jpg"), "-o", str(out), env=env
    )
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"pyfacelm: warning: no such file or folder: {tmp_path / 'gone.jpg'}",
        "pyfacelm: error: 1 of 2 inputs failed (see the warnings above)",
    ]
    assert [row[0] for row in read_csv(out)[1]] == [str(SAMPLES / "sample1.jpg")]
