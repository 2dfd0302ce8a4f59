"""``pyfacelm video``: camera indices and URLs, Ctrl-C with the CSV kept, frame-size changes,
and the codec of the annotated video."""

from __future__ import annotations

import functools
import http.server
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import pyfacelm_script, read_csv, run_cli
from conftest import SAMPLES

from pyfacelm.cli import main
from pyfacelm.drawing import VIDEO_CODECS
from pyfacelm.video import FrameSizeError, open_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the video extra) is needed")


@pytest.fixture()
def env(model_dir):
    return dict(os.environ, PYFACELM_MODEL_DIR=str(model_dir))


class FakeCamera:
    """Stands in for cv2.VideoCapture(index): frames from a sample video."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = list(frames)

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def read(self):
        return (True, self.frames.pop(0)) if self.frames else (False, None)

    def get(self, prop):
        return -1.0 if prop == cv2.CAP_PROP_FRAME_COUNT else 30.0

    def release(self) -> None:
        pass


def test_camera_index_is_opened_as_a_camera(model_dir, samples_dir, tmp_path, monkeypatch):
    frames = [f for _, f in zip(range(12), open_video(SAMPLES / "default.wmv"))]
    opened = []
    real = cv2.VideoCapture

    def capture(target, *args):
        opened.append(target)
        return FakeCamera(frames) if isinstance(target, int) else real(target, *args)

    monkeypatch.setattr(cv2, "VideoCapture", capture)
    monkeypatch.chdir(tmp_path)  # no file named "0" here
    out = tmp_path / "cam.csv"
    assert main(["video", "0", "-o", str(out), "--model-dir", str(model_dir), "-q"]) == 0
    assert opened == [0]
    _, rows = read_csv(out)
    assert [r[0] for r in rows] == [str(k) for k in range(1, 13)]
    stamps = [float(r[2]) for r in rows]
    # A camera's timestamps are wall-clock seconds since its first frame (not frame / fps).
    assert stamps[0] == 0.0 and stamps == sorted(stamps) and stamps[-1] > 0
    # An existing file called "0" is a file, not a camera.
    Path("0").write_bytes(b"garbage")
    with pytest.raises(OSError, match="cannot decode video 0"):
        open_video("0")


def test_url_source(env, samples_dir, tmp_path):
    # A short clip (the sample sequence as MJPG) served over HTTP, and the same file read directly.
    frames = sorted((SAMPLES / "image_sequence").iterdir())
    first = cv2.imread(str(frames[0]))
    writer = cv2.VideoWriter(
        str(tmp_path / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, first.shape[1::-1]
    )
    for f in frames:
        writer.write(cv2.imread(str(f)))
    writer.release()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/clip.avi"
        r = run_cli("video", url, "-o", str(tmp_path / "url.csv"), env=env)
    finally:
        httpd.shutdown()
    assert r.returncode == 0, r.stderr
    r2 = run_cli("video", str(tmp_path / "clip.avi"), "-o", str(tmp_path / "file.csv"), env=env)
    assert r2.returncode == 0, r2.stderr
    assert (tmp_path / "url.csv").read_text() == (tmp_path / "file.csv").read_text()
    head, rows = read_csv(tmp_path / "url.csv")
    assert len(rows) == 30 and rows[-1][2] == f"{29 / 25:.3f}" and rows[0][4] == "1"


def _default_sigint() -> None:
    # A test run started in the background (`&`, nohup) ignores SIGINT and its children inherit
    # that, so Python would never raise KeyboardInterrupt: restore the default in the child.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_when_rows(proc: subprocess.Popen, out: Path, min_bytes: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.stat().st_size > min_bytes:
            proc.send_signal(signal.SIGINT)
            return
        time.sleep(0.05)
    pytest.fail("the run ended or produced nothing before it could be interrupted")


@pytest.mark.parametrize("mode", ["video", "image"])
def test_ctrl_c_ends_cleanly_with_the_csv_flushed(mode, env, samples_dir, tmp_path):
    out = tmp_path / "out.csv"
    if mode == "video":
        # A long image sequence: the sample sequence's 30 frames, 40 times over.
        seq = tmp_path / "seq"
        seq.mkdir()
        frames = sorted((SAMPLES / "image_sequence").iterdir())
        for k in range(40):
            for f in frames:
                (seq / f"{k:03d}_{f.name}").symlink_to(f)
        args = ["video", str(seq), "-o", str(out)]
    else:
        listing = tmp_path / "list.txt"
        listing.write_text((str(SAMPLES / "sample1.jpg") + "\n") * 500)
        args = ["image", "--list", str(listing), "-o", str(out)]
    proc = subprocess.Popen(
        [pyfacelm_script(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_default_sigint,
    )
    _interrupt_when_rows(proc, out, 20_000)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    unit = "frames" if mode == "video" else "of 500 images"
    prefix = "pyfacelm: interrupted after "
    assert err.startswith(prefix) and f"; {out} holds their rows" in err, err
    n = int(err[len(prefix) :].split()[0])
    assert unit in err
    head, rows = read_csv(out)
    assert len(rows) == n > 0  # every processed frame or image is in the file, complete
    assert all(len(r) == len(head) for r in rows)
    if mode == "video":
        assert [r[0] for r in rows] == [str(k) for k in range(1, n + 1)]


def test_frame_size_change_in_a_video_is_one_line(model_dir, tmp_path, monkeypatch, capsys):
    frames = [np.zeros((80, 100, 3), np.uint8)] * 2 + [np.zeros((90, 100, 3), np.uint8)]
    monkeypatch.setattr(cv2, "VideoCapture", lambda *a: FakeCamera(frames))
    clip = tmp_path / "clip.avi"
    clip.write_bytes(b"stand-in")
    with pytest.raises(FrameSizeError, match="frame 3 is 100x90, earlier frames were 100x80"):
        list(open_video(clip))
    rc = main(["video", str(clip), "-o", str(tmp_path / "o.csv"), "--model-dir", str(model_dir)])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and "frame 3 is 100x90" in err


def test_drawn_video_says_which_codec(env, samples_dir, tmp_path):
    drawn = tmp_path / "drawn.mp4"
    r = run_cli(
        "video",
        str(SAMPLES / "image_sequence"),
        "--draw",
        str(drawn),
        "-o",
        str(tmp_path / "o.csv"),
        env=env,
    )
    assert r.returncode == 0, r.stderr
    cap = cv2.VideoCapture(str(drawn))
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    fourcc = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 30
    names = dict(VIDEO_CODECS)
    if fourcc.lower() in ("avc1", "h264"):
        assert r.stderr == ""  # H.264: nothing to say
    else:
        assert fourcc.lower() in ("mp4v", "fmp4")  # FFmpeg reports MPEG-4 Part 2 as FMP4
        assert r.stderr.count("\n") == 1 and names["mp4v"] in r.stderr and "H.264" in r.stderr
