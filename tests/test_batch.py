"""Batch processing: equal to in-process tracking on every engine, resumable, failures isolated.

The 14-clip runs are ``slow`` (CPU is scarce on the 2-core test machine); the default run keeps
equality on three short inputs with the local pool and a Dask LocalCluster.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED

import pyfacelm
from pyfacelm import batch
from pyfacelm.cli import main
from pyfacelm.csv_output import CsvWriter
from pyfacelm.detector import cached_detector
from pyfacelm.video import open_video

cv2 = pytest.importorskip("cv2", reason="opencv-python-headless (the video extra) is needed")
pa = pytest.importorskip("pyarrow", reason="pyarrow (the batch extra) is needed")
pq = pytest.importorskip("pyarrow.parquet")

CLIPS_DIR = SHARED / "extra" / "videos"
SHORT = ["ceclm__0686_02_003_gloria_estefan.avi", "ceclm__1034_03_006_jet_li.avi"]
SAMPLE_INPUTS = [
    "2015-10-15-15-14.avi",
    "changeLighting.wmv",
    "default.wmv",
    "multi_face.avi",
    "image_sequence",
]
INT_COLUMNS = {"frame", "face_id", "success", "face"}


@pytest.fixture(scope="session")
def clips() -> list[Path]:
    found = sorted(CLIPS_DIR.glob("*.avi"))
    if len(found) != 14:
        pytest.skip(f"the 14 extra clips are not available in {CLIPS_DIR}")
    return found


def tracker_csv(path: Path, model_dir: Path) -> str:
    """The oracle: an in-process Tracker over the file, rows formatted by the CLI's writer."""
    det = cached_detector("clnf", str(model_dir))
    source = open_video(path)
    tracker = det.tracker(max_faces=1)
    out = io.StringIO()
    writer = CsvWriter(out, sequence=True, n_modes=det.n_modes)
    for n, frame in enumerate(source, start=1):
        faces = tracker.update(frame)
        writer.write_frame(n, source.timestamp(n - 1), faces[0] if faces else None, 0)
    return out.getvalue()


def assert_table_equals_csv(table, text: str) -> None:
    """Row for row, and bit for bit in every numeric column."""
    lines = text.splitlines()
    head = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    assert table.column_names == head
    assert table.num_rows == len(rows)
    for i, name in enumerate(head):
        got = table.column(name).to_numpy()
        if name in INT_COLUMNS:
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, [int(r[i]) for r in rows], err_msg=name)
        else:
            want = np.array([float(r[i]) for r in rows], np.float64)
            assert got.dtype == np.float64
            assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), name


def bits(column) -> np.ndarray:
    x = column.to_numpy()
    return x.view(np.uint64) if x.dtype == np.float64 else x


def assert_same_outputs(a: Path, b: Path) -> None:
    ta, tb = pq.read_table(a), pq.read_table(b)
    assert ta.column_names == tb.column_names and ta.num_rows == tb.num_rows
    for name in ta.column_names:
        assert np.array_equal(bits(ta.column(name)), bits(tb.column(name))), f"{a.name}: {name}"


def local_cluster():
    distributed = pytest.importorskip("distributed", reason="Dask (the batch extra) is needed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return cluster, distributed.Client(cluster)


def check_run(report, inputs: list[Path], out: Path, model_dir: Path) -> None:
    assert report.ok and len(report.done) == len(inputs), str(report)
    by_input = {Path(r.input).name: r for r in report.results}
    for path in inputs:
        r = by_input[path.name]
        text = tracker_csv(path, model_dir)
        common = Path(os.path.commonpath([p.parent for p in inputs]))
        assert r.output == str(out / path.relative_to(common)) + ".parquet"
        assert r.frames == r.rows == text.count("\n") - 1
        assert_table_equals_csv(pq.read_table(r.output), text)
    saved = json.loads((out / batch.REPORT_NAME).read_text())
    assert saved["totals"]["done"] == len(inputs)


# ---------------------------------------------------------------- default (fast) tests


def short_inputs(samples_dir: Path) -> list[Path]:
    paths = [CLIPS_DIR / n for n in SHORT]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"clips not available in {CLIPS_DIR}")
    return [*paths, samples_dir / "image_sequence"]


def test_local_pool_equals_in_process_tracker(model_dir, samples_dir, tmp_path):
    inputs = short_inputs(samples_dir)
    report = batch.run(inputs, tmp_path, model_dir=model_dir, workers=2, progress=False)
    check_run(report, inputs, tmp_path, model_dir)
    # The columns hold what the tracker computed (CSV rounding: 1 decimal for pixels).
    det = cached_detector("clnf", str(model_dir))
    table = pq.read_table(report.results[0].output)
    tracker = det.tracker()
    for k, frame in enumerate(open_video(inputs[0])):
        if k % 25:
            tracker.update(frame)
            continue
        f = tracker.update(frame)[0]
        xs = [table.column(f"x_{i}")[k].as_py() for i in range(68)]
        np.testing.assert_allclose(xs, f.landmarks[:, 0], atol=0.0501)
        assert table.column("success")[k].as_py() == int(f.success)


@pytest.mark.slow  # 12 s, most of it starting a cluster; the local pool runs the same jobs
def test_dask_cluster_equals_in_process_tracker(model_dir, samples_dir, tmp_path):
    inputs = short_inputs(samples_dir)
    cluster, client = local_cluster()
    try:
        report = batch.run(inputs, tmp_path, model_dir=model_dir, client=client, progress=False)
        workers = {r.worker for r in report.results}
        # The CLI reaches the same cluster by its address.
        cli_out = tmp_path / "cli"
        args = ["batch", str(inputs[-1]), "-o", str(cli_out), "-q"]
        assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
        scheduler_file = tmp_path / "scheduler.json"
        scheduler_file.write_text(json.dumps({"address": cluster.scheduler_address}))
        assert main([*args, "--scheduler", str(scheduler_file)]) == 0  # now skipped
        again = json.loads((cli_out / batch.REPORT_NAME).read_text())
        assert [r["status"] for r in again["results"]] == ["skipped"]
    finally:
        client.close()
        cluster.close()
    cli_report = json.loads((cli_out / batch.REPORT_NAME).read_text())
    assert cli_report["settings"]["engine"] == f"dask {cluster.scheduler_address}"
    assert_same_outputs(cli_out / (inputs[-1].name + ".parquet"), Path(report.results[-1].output))
    shutil.rmtree(cli_out)
    check_run(report, inputs, tmp_path, model_dir)
    assert report.settings["engine"].startswith("dask tcp://")
    assert all(w and not w.endswith(f":{os.getpid()}") for w in workers)


def test_any_executor_works(model_dir, samples_dir, tmp_path):
    seq = samples_dir / "image_sequence"
    with ThreadPoolExecutor(2) as pool:
        report = batch.run([seq], tmp_path, client=pool, progress=False)
    assert report.ok and report.settings["engine"] == "ThreadPoolExecutor"
    assert report.done[0].worker.endswith(f":{os.getpid()}")
    check_run(report, [seq], tmp_path, model_dir)


def test_csv_format_is_the_cli_video_csv(model_dir, tmp_path):
    clip = CLIPS_DIR / SHORT[0]
    if not clip.is_file():
        pytest.skip(f"{clip} not available")
    assert main(["video", str(clip), "-o", str(tmp_path / "cli.csv"), "-q"]) == 0
    out = tmp_path / "batch"
    args = ["batch", str(clip), "-o", str(out), "--format", "csv", "--workers", "1", "-q"]
    assert main(args) == 0
    got = (out / (clip.name + ".csv")).read_bytes()
    assert got == (tmp_path / "cli.csv").read_bytes()
    meta = json.loads((out / (clip.name + ".csv.meta.json")).read_text())
    assert meta["rows"] == 125 and meta["output_bytes"] == len(got)


def test_images_kind_is_the_cli_image_csv(model_dir, samples_dir, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("sample1.jpg", "sample2.jpg"):
        shutil.copy(samples_dir / name, folder / name)
    report = batch.run(
        [folder], tmp_path / "out", kind="images", format="csv", workers=1, progress=False
    )
    assert report.ok and report.done[0].frames == 2
    monkeypatch.chdir(folder)  # the CLI names images as given, the batch relative to the folder
    assert main(["image", "sample1.jpg", "sample2.jpg", "-o", str(tmp_path / "c.csv")]) == 0
    got = (tmp_path / "out" / "photos.csv").read_bytes()
    assert got == (tmp_path / "c.csv").read_bytes()
    assert report.done[0].rows == got.count(b"\n") - 1 > 0


def test_rerun_skips_complete_outputs_and_redoes_changed_ones(model_dir, samples_dir, tmp_path):
    # 6 frames of the sample sequence: the batch runs 7 times here.
    seq = tmp_path / "seq"
    seq.mkdir()
    for f in sorted((samples_dir / "image_sequence").iterdir())[:6]:
        shutil.copy(f, seq / f.name)
    out = tmp_path / "out"
    first = batch.run([seq], out, workers=1, progress=False)
    assert [r.status for r in first.results] == ["done"]
    target = out / "seq.parquet"
    before = target.read_bytes()
    again = batch.run([seq], out, workers=1, progress=False)
    assert [r.status for r in again.results] == ["skipped"]
    assert again.skipped[0].frames == 6 and target.read_bytes() == before
    # Other settings are other outputs: redone.
    assert batch.run([seq], out, max_faces=2, workers=1, progress=False).done
    assert batch.run([seq], out, kind="images", workers=1, progress=False).done
    assert batch.run([seq], out, workers=1, progress=False).done  # back to the first settings
    # A changed input is redone.
    img = next(iter(sorted(seq.iterdir())))
    os.utime(img, ns=(img.stat().st_atime_ns, img.stat().st_mtime_ns + 10**9))
    assert batch.run([seq], out, workers=1, progress=False).done
    before = target.read_bytes()
    # A damaged output is not trusted.
    target.write_bytes(before[:-100])
    redone = batch.run([seq], out, workers=1, progress=False)
    assert redone.done and target.read_bytes() == before
    assert not list(out.glob(".*.tmp"))


def test_corrupt_inputs_fail_alone(model_dir, tmp_path, capsys):
    good = [CLIPS_DIR / n for n in SHORT]
    if not all(p.is_file() for p in good):
        pytest.skip(f"clips not available in {CLIPS_DIR}")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in good:
        shutil.copy(p, corpus / p.name)
    data = (CLIPS_DIR / "ceclm__0188_03_021_al_pacino.avi").read_bytes()
    (corpus / "truncated.avi").write_bytes(data[: len(data) // 5])
    (corpus / "notes.mp4").write_text("not a video\n")
    out = tmp_path / "out"
    rc = main(["batch", str(corpus), "-o", str(out), "--workers", "2", "--format", "csv"])
    assert rc == 1
    err = capsys.readouterr().err
    report = json.loads((out / batch.REPORT_NAME).read_text())
    status = {Path(r["input"]).name: r for r in report["results"]}
    assert {n: r["status"] for n, r in status.items()} == {
        good[0].name: "done",
        good[1].name: "done",
        "truncated.avi": "failed",
        "notes.mp4": "failed",
    }
    assert "truncated" in status["truncated.avi"]["error"]
    assert "cannot decode" in status["notes.mp4"]["error"]
    for name in ("truncated.avi", "notes.mp4"):
        lines = [ln for ln in err.splitlines() if name in ln]
        assert len(lines) == 1 and lines[0].startswith("pyfacelm: failed: ")
        assert "\n" not in status[name]["error"]
        assert not (out / (name + ".csv")).exists()
    assert "Traceback" not in err and "2 done" in err and "2 failed" in err


def test_inputs_keep_relative_paths_and_never_collide(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.avi").write_bytes(b"")
    (tmp_path / "a" / "x.mp4").write_bytes(b"")
    (tmp_path / "a" / "seq").mkdir()
    (tmp_path / "a" / "seq" / "001.png").write_bytes(b"")
    jobs, problems = batch.inputs.expand([tmp_path / "a", tmp_path / "b" / "x.avi"])
    assert sorted(j.name for j in jobs) == ["a/seq", "a/x.avi", "a/x.mp4", "b/x.avi"]
    assert {j.name: j.mode for j in jobs}["a/seq"] == "video"
    jobs, _ = batch.inputs.expand([str(tmp_path / "*" / "x.avi")])
    assert sorted(j.name for j in jobs) == ["a/x.avi", "b/x.avi"]
    jobs, _ = batch.inputs.expand(tmp_path / "a")
    assert sorted(j.name for j in jobs) == ["seq", "x.avi", "x.mp4"]
    jobs, _ = batch.inputs.expand(tmp_path / "a" / "seq", kind="images")
    assert [(j.name, j.mode) for j in jobs] == [("seq", "images")]
    jobs, problems = batch.inputs.expand([tmp_path / "nope.avi", str(tmp_path / "*.mkv")])
    assert not jobs and [p.error for p in problems] == [
        "no such file or folder",
        "no file or folder matches this pattern",
    ]


def test_output_file_streams_parquet_in_chunks_and_is_atomic(tmp_path, monkeypatch):
    from pyfacelm.batch.outputs import OutputFile, read_meta

    monkeypatch.setattr(OutputFile, "CHUNK", 3)
    cols = ["frame", "face_id", "x_0"]
    lines = [f"{k},0,{k / 10 - 0.3:.1f}\n" for k in range(1, 8)]
    final = tmp_path / "sub" / "v.avi.parquet"
    with OutputFile(final, "parquet", cols) as out:
        out.write("frame,face_id,x_0\n")
        for ln in lines:
            out.write(ln)
            assert not final.exists()
        out.commit({"frames": 7})
    table = pq.read_table(final)
    assert table.num_rows == 7 and table.column("frame").to_pylist() == list(range(1, 8))
    assert table.column("x_0").to_pylist() == [float(ln.split(",")[2]) for ln in lines]
    assert read_meta(final, "parquet") == {"frames": 7, "rows": 7}
    csv_final = tmp_path / "v.csv"
    with pytest.raises(RuntimeError), OutputFile(csv_final, "csv", cols) as out:
        out.write("frame,face_id,x_0\n")
        out.write(lines[0])
        raise RuntimeError("decoder failed")
    assert list(tmp_path.iterdir()) == [tmp_path / "sub"]  # no final file, no temporary left
    with OutputFile(csv_final, "csv", cols) as out:
        out.commit({})
    assert csv_final.read_text() == "frame,face_id,x_0\n"
    assert read_meta(csv_final, "csv") == {"rows": 0, "output_bytes": 18}
    csv_final.write_text("frame,face_id,x_0\n1,0,")  # changed after the fact: not complete
    assert read_meta(csv_final, "csv") is None


def test_a_killed_worker_is_replaced_and_its_input_retried(model_dir, tmp_path):
    psutil = pytest.importorskip("psutil")
    clip = CLIPS_DIR / SHORT[1]
    if not clip.is_file():
        pytest.skip(f"{clip} not available")
    killed: list[int] = []

    def kill_first_worker() -> None:
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            for child in psutil.Process().children():
                if child.cpu_times().user > 0.5:  # busy with the clip
                    child.kill()
                    killed.append(child.pid)
                    return
            time.sleep(0.05)

    t = threading.Thread(target=kill_first_worker)
    t.start()
    report = batch.run([clip], tmp_path, workers=1, progress=False)
    t.join()
    assert killed and report.ok and report.done[0].frames == 152
    assert not report.done[0].worker.endswith(f":{killed[0]}")
    assert_table_equals_csv(pq.read_table(report.done[0].output), tracker_csv(clip, model_dir))
    assert sorted(p.name for p in tmp_path.iterdir()) == [batch.REPORT_NAME, clip.name + ".parquet"]


def test_bad_arguments(tmp_path, capsys):
    with pytest.raises(ValueError, match="format"):
        batch.run([], tmp_path, format="xlsx")
    with pytest.raises(ValueError, match="max_faces"):
        batch.run([], tmp_path, max_faces=0)
    with pytest.raises(ValueError, match="kind"):
        batch.run([], tmp_path, kind="film")
    with ProcessPoolExecutor(1) as pool, pytest.raises(ValueError, match="workers"):
        batch.run([], tmp_path, workers=2, client=pool)
    assert main(["batch", str(tmp_path / "missing.avi"), "-o", str(tmp_path / "o")]) == 1
    assert "missing.avi: no such file or folder" in capsys.readouterr().err
    assert main(["batch", "x", "-o", str(tmp_path), "--max-faces", "-1"]) == 1


def test_missing_models_stop_the_batch(tmp_path, capsys):
    clip = CLIPS_DIR / SHORT[0]
    if not clip.is_file():
        pytest.skip(f"{clip} not available")
    args = ["batch", str(clip), "-o", str(tmp_path / "o"), "--model-dir", str(tmp_path), "-q"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pyfacelm: error:" in err and "Traceback" not in err


def test_detector_and_face_pickle(model_dir, samples_dir):
    det = pyfacelm.CLNFDetector("clnf", model_dir)
    blob = pickle.dumps(det)
    assert len(blob) < 1000  # the model's name and folder, not its weights
    a, b = pickle.loads(blob), pickle.loads(blob)
    assert a is b  # one detector per model and process
    assert a.model_name == "clnf" and a.model_dir == det.model_dir
    img = cv2.imread(str(samples_dir / "sample1.jpg"))
    box = det.detect_faces(img)[0, :4]
    f1, f2 = det.fit(img, box), a.fit(img, box)
    np.testing.assert_array_equal(f1.landmarks, f2.landmarks)
    g = pickle.loads(pickle.dumps(f1))
    assert repr(g) == repr(f1)
    for name in ("landmarks", "landmarks_3d", "eye_landmarks", "params_local", "pose", "box"):
        x = getattr(g, name)
        np.testing.assert_array_equal(x, getattr(f1, name))
        assert x.dtype == getattr(f1, name).dtype and not x.flags.writeable
    by_path = pyfacelm.CLNFDetector(str(model_dir / "main_clm_general.txt"))
    c = pickle.loads(pickle.dumps(by_path))
    assert c.model_name == "main_clm_general" and c.n_modes == by_path.n_modes


def test_import_does_not_load_the_batch_extra():
    code = (
        "import sys, pyfacelm, pyfacelm.cli, pyfacelm.batch; pyfacelm.cli.build_parser(); "
        "print(sorted(m for m in ('dask', 'distributed', 'pyarrow', 'tqdm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- slow: the whole corpus


@pytest.fixture(scope="session")
def uninterrupted(clips, model_dir, tmp_path_factory) -> Path:
    """The 14 clips through the local pool, once for the slow tests."""
    out = tmp_path_factory.mktemp("uninterrupted")
    report = batch.run(clips, out, model_dir=model_dir, workers=2, progress=False)
    assert report.ok and len(report.done) == 14
    return out


def sample_inputs(samples_dir: Path) -> list[Path]:
    return [samples_dir / n for n in SAMPLE_INPUTS]


@pytest.mark.slow
def test_corpus_local_pool_equals_in_process_tracker(
    clips, uninterrupted, model_dir, samples_dir, tmp_path
):
    report = json.loads((uninterrupted / batch.REPORT_NAME).read_text())
    assert report["totals"]["done"] == 14
    for clip in clips:
        table = pq.read_table(uninterrupted / (clip.name + ".parquet"))
        assert_table_equals_csv(table, tracker_csv(clip, model_dir))
    samples = sample_inputs(samples_dir)
    rep = batch.run(samples, tmp_path, model_dir=model_dir, workers=2, progress=False)
    check_run(rep, samples, tmp_path, model_dir)


@pytest.mark.slow
def test_corpus_dask_cluster_equals_local_pool(
    clips, uninterrupted, model_dir, samples_dir, tmp_path
):
    samples = sample_inputs(samples_dir)
    cluster, client = local_cluster()
    try:
        rep = batch.run([*clips, *samples], tmp_path, client=client, progress=False)
    finally:
        client.close()
        cluster.close()
    assert rep.ok and len(rep.done) == 19
    output = {Path(r.input).name: Path(r.output) for r in rep.done}
    for clip in clips:
        assert output[clip.name] == tmp_path / "extra" / "videos" / (clip.name + ".parquet")
        assert_same_outputs(output[clip.name], uninterrupted / (clip.name + ".parquet"))
    for path in samples:
        assert_table_equals_csv(pq.read_table(output[path.name]), tracker_csv(path, model_dir))


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_sigkill_then_rerun_loses_nothing(clips, uninterrupted, model_dir, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pyfacelm", "batch", str(CLIPS_DIR), "-o", str(out), "-q"]
    cmd += ["--workers", "2"]
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 900
        while len(list(out.glob("*.parquet"))) < 4:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # The workers notice that their parent is gone and exit on their own.
        deadline = time.monotonic() + 15
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _group_alive(proc.pid)
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    finished = sorted(p.name for p in out.glob("*.parquet"))
    assert 4 <= len(finished) < 14
    assert not (out / batch.REPORT_NAME).exists()
    for name in finished:
        assert_same_outputs(out / name, uninterrupted / name)
    rerun = subprocess.run(cmd, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads((out / batch.REPORT_NAME).read_text())
    skipped = sorted(Path(r["output"]).name for r in report["results"] if r["status"] == "skipped")
    assert skipped == finished
    assert report["totals"]["done"] == 14 - len(finished)
    assert len(list(out.glob("*.parquet"))) == 14
    for clip in clips:
        name = clip.name + ".parquet"
        assert_same_outputs(out / name, uninterrupted / name)
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow
def test_worker_memory_is_flat_over_three_passes(clips, model_dir, tmp_path):
    rss: list[dict[str, float]] = []
    with ProcessPoolExecutor(2) as pool:
        for k in range(3):
            rep = batch.run(clips, tmp_path / str(k), client=pool, progress=False)
            assert rep.ok and len(rep.done) == 14
            last: dict[str, float] = {}
            for r in rep.done:  # report order is input order, not completion order: take max
                assert r.worker and r.worker_rss_mb
                last[r.worker] = max(last.get(r.worker, 0.0), r.worker_rss_mb)
            rss.append(last)
    print("worker RSS (MiB) per pass:", rss)
    assert len(rss[0]) == 2 and set(rss[0]) == set(rss[2])
    for w in rss[0]:
        assert rss[2][w] < 1.10 * rss[0][w], (w, rss[0][w], rss[2][w])
