"""The model manager's real download code against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import io
import threading
from pathlib import Path

import pytest
from conftest import SHARED

import pyfacelm
from pyfacelm import download
from pyfacelm.cli import main

MODEL = SHARED / "openface" / "model"


class Handler(http.server.BaseHTTPRequestHandler):
    """/ok/<path> serves the file (with Range), /corrupt/ flips a byte, /drop/ closes the
    connection half-way, anything else is 404."""

    root: Path = MODEL
    hits: list[str] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        Handler.hits.append(self.path)
        mode, _, rel = self.path.lstrip("/").partition("/")
        f = self.root / rel
        if mode not in ("ok", "corrupt", "drop") or not f.is_file():
            self.send_error(404)
            return
        data = bytearray(f.read_bytes())
        if mode == "corrupt":
            data[len(data) // 2] ^= 0xFF
        start = 0
        rng = self.headers.get("Range")
        if rng and mode == "ok":
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = bytes(data[start:])
        if mode == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    if not MODEL.is_dir():
        pytest.skip("../shared/openface/model not available to serve")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".partial" not in p.parts
    }


def test_download_set_verifies(server, tmp_path):
    target = tmp_path / "models"
    root = download.download_models(
        ["clnf"],
        target,
        accept_license=True,
        mirrors=[f"{server}/missing", f"{server}/ok"],
        use_official=False,
    )
    report = pyfacelm.verify(root)
    assert (
        report.sets["clnf"]
        and report.sets["mtcnn"]
        and report.sets["eyes"]
        and report.sets["inner"]
    )
    assert not (target / ".partial").exists()
    det = pyfacelm.CLNFDetector("clnf", root)  # the downloaded folder is usable
    assert det.model_dir == root.resolve()
    # A second call finds everything verified and downloads nothing.
    Handler.hits.clear()
    download.download_models(["clnf"], target, mirrors=[f"{server}/ok"], use_official=False)
    assert Handler.hits == []


def test_corrupted_file_is_rejected(server, tmp_path):
    target = tmp_path / "models"
    with pytest.raises(download.DownloadError, match="SHA-256"):
        download.download_models(
            ["mtcnn"],
            target,
            accept_license=True,
            mirrors=[f"{server}/corrupt"],
            use_official=False,
        )
    assert snapshot(target) == {}
    assert not any((target / ".partial").glob("*")) if (target / ".partial").exists() else True


def test_dropped_connection_then_resume(server, tmp_path):
    target = tmp_path / "models"
    with pytest.raises(download.DownloadError, match="could not get"):
        download.download_models(
            ["mtcnn"], target, accept_license=True, mirrors=[f"{server}/drop"], use_official=False
        )
    assert snapshot(target) == {}  # nothing unverified in the model folder
    partial = list((target / ".partial").glob("*.part"))
    assert partial and all(0 < p.stat().st_size for p in partial)
    # Resume from the partial file against a working server (HTTP range request).
    Handler.hits.clear()
    download.download_models(
        ["mtcnn"], target, accept_license=True, mirrors=[f"{server}/ok"], use_official=False
    )
    assert pyfacelm.verify(target).sets["mtcnn"]
    assert not (target / ".partial").exists()


def test_404_everywhere(server, tmp_path):
    target = tmp_path / "models"
    with pytest.raises(download.DownloadError, match="404"):
        download.download_models(
            ["mtcnn"],
            target,
            accept_license=True,
            mirrors=[f"{server}/nothing"],
            use_official=False,
        )
    assert snapshot(target) == {}


def test_existing_verified_cache_is_untouched_by_failures(server, tmp_path):
    target = tmp_path / "models"
    download.download_models(
        ["mtcnn"], target, accept_license=True, mirrors=[f"{server}/ok"], use_official=False
    )
    before = snapshot(target)
    with pytest.raises(download.DownloadError):
        download.download_models(
            ["clm"], target, accept_license=True, mirrors=[f"{server}/corrupt"], use_official=False
        )
    after = snapshot(target)
    assert after == before


def test_licence_consent(tmp_path, monkeypatch):
    monkeypatch.delenv(download.ACCEPT_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal
    with pytest.raises(download.LicenseNotAcceptedError) as e:
        download.download_models(["mtcnn"], tmp_path, use_official=False)
    # Python callers are told the Python spelling (the command line words it its own way).
    assert "accept_license=True" in str(e.value) and "--accept-license" not in str(e.value)
    with pytest.raises(download.LicenseNotAcceptedError):
        download.download_models(["mtcnn"], tmp_path, ask=lambda prompt: "no", use_official=False)
    # Consent given: the (empty) URL list is the next problem, not the licence.
    with pytest.raises(download.DownloadError, match="no URL"):
        download.download_models(["mtcnn"], tmp_path, ask=lambda prompt: "yes", use_official=False)
    monkeypatch.setenv(download.ACCEPT_ENV, "1")
    with pytest.raises(download.DownloadError):
        download.download_models(["mtcnn"], tmp_path, use_official=False)


def test_unknown_set():
    with pytest.raises(ValueError, match="unknown model set"):
        download.files_for_sets(["nope"])
    assert len(download.files_for_sets(["all"])) == len(pyfacelm.models.manifest()["files"])


def test_cli_download_and_import(server, tmp_path, capsys):
    target = tmp_path / "dl"
    rc = main(
        [
            "models",
            "download",
            "--set",
            "mtcnn",
            "--dir",
            str(target),
            "--accept-license",
            "--mirror",
            f"{server}/ok",
        ]
    )
    assert rc == 0 and pyfacelm.verify(target).sets["mtcnn"]
    # import from an OpenFace-like checkout: lib/local/LandmarkDetector/model
    checkout = tmp_path / "OpenFace" / "lib" / "local" / "LandmarkDetector"
    checkout.mkdir(parents=True)
    (checkout / "model").symlink_to(MODEL)
    imported = tmp_path / "imported"
    assert main(["models", "import", str(tmp_path / "OpenFace"), "--dir", str(imported)]) == 0
    report = pyfacelm.verify(imported)
    assert report.sets["clnf"] and report.sets["clm"] and not report.sets["ceclm"]
    assert main(["models", "import", str(tmp_path / "nowhere"), "--dir", str(imported)]) == 1
    assert "neither" in capsys.readouterr().err


def test_import_rejects_tampered_files(tmp_path):
    if not MODEL.is_dir():
        pytest.skip("../shared/openface/model not available")
    src = tmp_path / "src"
    (src / "mtcnn_detector").mkdir(parents=True)
    (src / "main_clnf_general.txt").write_bytes((MODEL / "main_clnf_general.txt").read_bytes())
    for name in ("PNet.dat", "RNet.dat", "ONet.dat", "MTCNN_detector.txt"):
        data = bytearray((MODEL / "mtcnn_detector" / name).read_bytes())
        if name == "RNet.dat":
            data[100] ^= 1
        (src / "mtcnn_detector" / name).write_bytes(bytes(data))
    root, copied, rejected = download.import_models(src, tmp_path / "dst")
    assert rejected == ["mtcnn_detector/RNet.dat"]
    assert (
        "mtcnn_detector/PNet.dat" in copied and not (root / "mtcnn_detector" / "RNet.dat").exists()
    )


def test_offline_failure_suggests_a_mirror_or_import(tmp_path, capsys):
    # Port 9 on the loopback: refused at once, as when no server can be reached.
    with pytest.raises(download.DownloadError) as e:
        download.download_models(
            ["mtcnn"],
            tmp_path,
            accept_license=True,
            mirrors=["http://127.0.0.1:9/model"],
            use_official=False,
        )
    assert e.value.unreachable
    assert "mirrors=" in str(e.value) and "import_models" in str(e.value)
    rc = main(
        ["models", "download", "--set", "mtcnn", "--dir", str(tmp_path), "--accept-license"]
        + ["--mirror", "http://127.0.0.1:9/model", "--mirror-only"]
    )
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1
    assert "--mirror URL" in err and "pyfacelm models import" in err and "mirrors=" not in err


def test_server_errors_are_not_called_offline(server, tmp_path):
    with pytest.raises(download.DownloadError) as e:
        download.download_models(
            ["mtcnn"], tmp_path, accept_license=True, mirrors=[f"{server}/x"], use_official=False
        )
    assert not e.value.unreachable and "offline" not in str(e.value)


def test_cli_licence_wording(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(download.ACCEPT_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    rc = main(["models", "download", "--set", "mtcnn", "--dir", str(tmp_path), "--mirror-only"])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1
    assert "--accept-license" in err and "accept_license=True" not in err
    assert main(["models", "license"]) == 0
    assert "non-commercial" in capsys.readouterr().out
