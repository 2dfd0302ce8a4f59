"""Every subcommand of the real ``pyfacelm`` entry point against a table of bad arguments: one
line on stderr, a documented exit code, never a traceback. Also: output piped into a reader
that goes away (``| head``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import no_models_env, pyfacelm_script, run_cli
from conftest import SAMPLES

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the video extra) is needed")

DOCUMENTED_EXIT_CODES = {0, 1, 2, 130, 141}

# (id, arguments, exit code, text the last stderr line must hold). Placeholders: {tmp} a
# scratch folder holding the files made by `scratch`, {img} a sample photo, {vid} a sample video.
TABLE = [
    ("image-no-args", ["image"], 2, "no images given"),
    ("image-missing", ["image", "{tmp}/missing.jpg"], 1, "1 of 1 inputs failed"),
    ("image-garbage", ["image", "{tmp}/garbage.jpg"], 1, "1 of 1 inputs failed"),
    ("image-given-a-video", ["image", "{vid}"], 1, "1 of 1 inputs failed"),
    ("image-min-face-0", ["image", "{img}", "--min-face", "0"], 2, "--min-face"),
    ("image-min-face-neg", ["image", "{img}", "--min-face", "-5"], 2, "positive"),
    ("image-min-face-nan", ["image", "{img}", "--min-face", "nan"], 2, "positive"),
    ("image-min-face-text", ["image", "{img}", "--min-face", "big"], 2, "not a number"),
    ("image-draw-is-file", ["image", "{img}", "--draw", "{tmp}/garbage.jpg"], 2, "is a file"),
    ("image-out-no-folder", ["image", "{img}", "-o", "{tmp}/no/such/out.csv"], 1, "cannot write"),
    ("image-out-is-folder", ["image", "{img}", "-o", "{tmp}"], 2, "is a folder"),
    ("image-unknown-model", ["image", "{img}", "--model", "nonsense"], 1, "unknown model"),
    ("image-model-dir-missing", ["image", "{img}", "--model-dir", "{tmp}/nope"], 1, "nope"),
    ("image-model-names-missing", ["image", "{img}", "--model", "{tmp}/main_bad.txt"], 1, "exist"),
    ("image-garbage-model", ["image", "{img}", "--model", "{tmp}/main_junk.txt"], 1, "main_junk"),
    ("image-list-missing", ["image", "--list", "{tmp}/nolist.txt"], 1, "cannot read --list"),
    ("image-bad-sep", ["image", "{img}", "--sep", ";"], 2, "--sep"),
    ("image-empty-folder", ["image", "{tmp}/empty"], 1, "1 of 1 inputs failed"),
    ("image-no-glob-match", ["image", "{tmp}/nomatch*.jpg"], 1, "1 of 1 inputs failed"),
    ("image-unknown-option", ["image", "{img}", "--frobnicate"], 2, "unrecognized"),
    ("video-missing", ["video", "{tmp}/missing.avi"], 1, "no such file"),
    ("video-garbage", ["video", "{tmp}/garbage.mp4"], 1, "cannot decode"),
    ("video-no-camera", ["video", "7"], 1, "camera 7"),
    ("video-url-refused", ["video", "http://127.0.0.1:9/x.avi"], 1, "cannot open stream"),
    ("video-max-faces-neg", ["video", "{vid}", "--max-faces", "-1"], 2, "--max-faces"),
    ("video-max-faces-text", ["video", "{vid}", "--max-faces", "many"], 2, "--max-faces"),
    ("video-draw-is-folder", ["video", "{vid}", "--draw", "{tmp}"], 2, "is a folder"),
    ("video-draw-no-folder", ["video", "{vid}", "--draw", "{tmp}/no/x.mp4"], 1, "does not exist"),
    ("video-out-no-folder", ["video", "{vid}", "-o", "{tmp}/no/x.csv"], 1, "cannot write"),
    ("video-mixed-sizes", ["video", "{tmp}/mixed"], 1, "not an image sequence"),
    ("video-empty-folder", ["video", "{tmp}/empty"], 1, "contains no images"),
    ("video-no-args", ["video"], 2, "required"),
    ("models-no-action", ["models"], 2, "required"),
    ("models-bad-action", ["models", "fetch"], 2, "invalid choice"),
    ("models-import-no-path", ["models", "import", "--dir", "{tmp}/m"], 2, "needs the path"),
    ("models-import-nowhere", ["models", "import", "{tmp}/nope", "--dir", "{tmp}/m"], 1, "neither"),
    ("models-verify-missing-dir", ["models", "verify", "--dir", "{tmp}/nope"], 1, "Looked in"),
    ("models-download-bad-set", ["models", "download", "--set", "zzz"], 2, "invalid choice"),
    (
        "models-download-no-consent",
        ["models", "download", "--set", "mtcnn", "--dir", "{tmp}/m", "--mirror-only"],
        1,
        "--accept-license",
    ),
    (
        "models-download-offline",
        [
            "models",
            "download",
            "--set",
            "mtcnn",
            "--dir",
            "{tmp}/m",
            "--accept-license",
            "--mirror",
            "http://127.0.0.1:9/model",
            "--mirror-only",
        ],
        1,
        "pyfacelm models import",
    ),
    ("no-command", [], 2, "required"),
    ("unknown-command", ["frobnicate"], 2, "invalid choice"),
]

NEEDS_NO_MODELS = {"models-verify-missing-dir"}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad_args")
    (d / "garbage.jpg").write_bytes(b"\x00\x01not an image")
    (d / "garbage.mp4").write_bytes(b"not a video at all")
    (d / "main_bad.txt").write_text("LandmarkDetector does_not_exist.txt\nFaceDetConversion x\n")
    (d / "main_junk.txt").write_bytes(bytes(range(256)) * 4)
    (d / "empty").mkdir()
    mixed = d / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "a.png"), np.full((80, 100, 3), 128, np.uint8))
    cv2.imwrite(str(mixed / "b.png"), np.full((90, 100, 3), 128, np.uint8))
    return d


@pytest.mark.parametrize("case", TABLE, ids=[c[0] for c in TABLE])
def test_bad_arguments_give_one_line_and_a_documented_code(case, scratch, model_dir, samples_dir):
    name, args, code, text = case
    subs = {"{tmp}": str(scratch), "{img}": str(SAMPLES / "sample1.jpg")}
    subs["{vid}"] = str(SAMPLES / "default.wmv")
    argv = []
    for a in args:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    env = dict(os.environ, PYFACELM_MODEL_DIR=str(model_dir))
    if name in NEEDS_NO_MODELS:
        env = no_models_env(scratch)
    env.pop("PYFACELM_ACCEPT_OPENFACE_LICENSE", None)
    r = run_cli(*argv, env=env, input="")
    log = scratch / f"{name}.stderr"  # kept for `grep -r Traceback` over the table's stderr
    log.write_text(r.stderr)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert r.returncode in DOCUMENTED_EXIT_CODES
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = [s for s in r.stderr.splitlines() if s.strip()]
    assert lines and text in lines[-1], r.stderr
    if code == 2:  # argparse's usage line(s), then one error line
        assert lines[-1].startswith("pyfacelm") and "error:" in lines[-1]
    else:  # warnings for skipped inputs, then exactly one error line
        assert [s for s in lines if "error:" in s] == [lines[-1]], r.stderr
        assert all(s.startswith("pyfacelm: ") for s in lines), r.stderr


def test_first_missing_models_error_names_both_ways_to_get_them(tmp_path, samples_dir):
    r = run_cli("image", str(SAMPLES / "sample1.jpg"), env=no_models_env(tmp_path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1
    assert "pyfacelm models download" in r.stderr and "pyfacelm models import" in r.stderr
    assert "--model-dir DIR" in r.stderr and "model_dir=" not in r.stderr


def test_output_into_a_closed_pipe_stops_quietly(model_dir, samples_dir):
    # `pyfacelm image ... | head -c 100`: the reader leaves after 100 bytes, long before the
    # producer is done (60 rows of about 3.5 kB: more than a pipe buffers).
    env = dict(os.environ, PYFACELM_MODEL_DIR=str(model_dir))
    producer = subprocess.Popen(
        [pyfacelm_script(), "image", "--list", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert producer.stdin and producer.stdout and producer.stderr
    producer.stdin.write((str(SAMPLES / "sample2.jpg") + "\n").encode() * 20)
    producer.stdin.close()
    head = producer.stdout.read(100)
    producer.stdout.close()  # as head does when it has enough
    err = producer.stderr.read().decode()
    rc = producer.wait(timeout=300)
    assert len(head) == 100
    assert err == "" and rc == 141
