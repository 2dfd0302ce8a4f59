"""Model discovery (find_model_dir) and verification against the manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pyfacelm
from pyfacelm import models

REPO = Path(__file__).resolve().parents[1]


def test_manifest_copies_are_identical():
    shipped = json.loads((REPO / "external" / "OpenFace" / "models.json").read_text())
    assert shipped == models.manifest()


def test_manifest_content():
    m = models.manifest()
    paths = {f["path"] for f in m["files"]}
    for f in m["files"]:
        assert len(f["sha256"]) == 64 and f["size"] > 0 and f["urls"]
        assert all(u.startswith("https://") for u in f["urls"])
    for name in ("clnf", "clm", "ceclm", "mtcnn", "validator", "eyes", "inner"):
        assert set(models.model_sets()[name]) <= paths, name


def test_errors_are_standard_exceptions():
    assert issubclass(pyfacelm.ModelNotFoundError, FileNotFoundError)
    assert issubclass(pyfacelm.ModelFormatError, ValueError)


def test_explicit_dir_wins(tmp_path, monkeypatch):
    (tmp_path / "main_clnf_general.txt").write_text("LandmarkDetector clnf_general.txt\n")
    monkeypatch.setenv(models.ENV_VAR, str(tmp_path / "elsewhere"))
    assert pyfacelm.find_model_dir(tmp_path) == tmp_path.resolve()


def test_explicit_dir_that_is_not_a_model_dir_is_an_error(tmp_path):
    with pytest.raises(pyfacelm.ModelNotFoundError, match="no main_"):
        pyfacelm.find_model_dir(tmp_path)
    with pytest.raises(pyfacelm.ModelNotFoundError, match="does not exist"):
        pyfacelm.find_model_dir(tmp_path / "nope")


def test_env_then_cache(tmp_path, monkeypatch):
    env_dir, cache = tmp_path / "env", tmp_path / "xdg"
    env_dir.mkdir()
    (env_dir / "main_clm_general.txt").write_text("LandmarkDetector clm_general.txt\n")
    monkeypatch.setenv(models.ENV_VAR, str(env_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert pyfacelm.find_model_dir() == env_dir.resolve()
    # An unusable env var falls through to the cache folder...
    monkeypatch.setenv(models.ENV_VAR, str(tmp_path / "missing"))
    cdir = models.cache_dir()
    if str(cdir).startswith(str(cache)):
        cdir.mkdir(parents=True)
        (cdir / "main_clnf_general.txt").write_text("LandmarkDetector clnf_general.txt\n")
        assert pyfacelm.find_model_dir() == cdir.resolve()


def test_not_found_message_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv(models.ENV_VAR, str(tmp_path / "missing"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    with pytest.raises(pyfacelm.ModelNotFoundError) as e:
        pyfacelm.find_model_dir()
    msg = str(e.value)
    assert "missing" in msg and str(models.cache_dir()) in msg
    assert models.ENV_VAR in msg and "licence" in msg


def test_verify_shared_models(model_dir):
    report = pyfacelm.verify(model_dir)
    for name in ("clnf", "clnf_wild", "clm", "clm_wild", "mtcnn", "validator", "eyes", "inner"):
        assert report.sets[name], (name, report.missing_for(name))
    # The CEN files are distributed separately by OpenFace; without them CE-CLM is incomplete.
    if not (model_dir / "patch_experts" / "cen_patches_0.25_of.dat").exists():
        assert not report.sets["ceclm"]
        assert "patch_experts/cen_patches_0.25_of.dat" in report.missing_for("ceclm")
    assert not report.problems
    assert "complete" in str(report)


def test_verify_detects_tampering(model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    pdm = copy / "pdms" / "In-the-wild_aligned_PDM_68.txt"
    data = bytearray(pdm.read_bytes())
    data[100] ^= 1
    pdm.write_bytes(bytes(data))
    (copy / "mtcnn_detector" / "PNet.dat").write_bytes(b"short")
    (copy / "model_inner" / "pdms" / "pdm_51_inner.txt").unlink()
    report = pyfacelm.verify(copy)
    assert report.files["pdms/In-the-wild_aligned_PDM_68.txt"].status == "hash mismatch"
    assert report.files["mtcnn_detector/PNet.dat"].status == "size mismatch"
    assert report.files["model_inner/pdms/pdm_51_inner.txt"].status == "missing"
    assert not report.sets["clnf"] and not report.sets["clm"] and not report.sets["mtcnn"]
    assert not report.sets["inner"]
    assert report.sets["eyes"] and report.sets["validator"]


def test_where_with_nothing_installed_reports_an_empty_state(tmp_path):
    from cli_helpers import no_models_env, run_cli

    r = run_cli("models", "where", env=no_models_env(tmp_path))
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("no OpenFace model files found\n")
    assert "PYFACELM_MODEL_DIR (not set)" in r.stdout and str(tmp_path / "cache") in r.stdout
    assert "pyfacelm models download" in r.stdout and "pyfacelm models import" in r.stdout


def test_not_found_message_names_the_commands(tmp_path, monkeypatch):
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(pyfacelm.ModelNotFoundError) as e:
        pyfacelm.find_model_dir()
    assert "pyfacelm models download" in str(e.value)
    assert "pyfacelm models import" in str(e.value)
    search = models.search_model_dir()
    assert search.found is None and search.tried[0] == f"${models.ENV_VAR} (not set)"


def test_verify_says_what_it_checked_and_names_missing_files(model_dir, tmp_path):
    from cli_helpers import run_cli

    present = sum((model_dir / e["path"]).is_file() for e in models.manifest()["files"])
    report = pyfacelm.verify(model_dir)
    assert report.summary().startswith(f"{present} files checked (size and SHA-256): OK")
    r = run_cli("models", "verify", "--dir", str(model_dir))
    assert r.returncode == 0, r.stderr
    assert f"{present} files checked (size and SHA-256): OK" in r.stdout
    # A folder with only part of CE-CLM: where and verify name what is missing.
    part = tmp_path / "model"
    part.mkdir()
    main_file = "main_ceclm_general.txt"
    (part / main_file).write_bytes((model_dir / main_file).read_bytes())
    r = run_cli("models", "where", "--dir", str(part))
    assert r.returncode == 0, r.stderr
    assert "1 file checked (size only): OK" in r.stdout
    line = next(s for s in r.stdout.splitlines() if s.strip().startswith("ceclm"))
    missing = pyfacelm.verify(part, check_hash=False).missing_for("ceclm")
    assert line.strip().startswith("ceclm      incomplete, missing: " + ", ".join(missing[:4]))
    if len(missing) > 4:
        assert line.endswith(f"and {len(missing) - 4} more")
