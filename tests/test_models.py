"""Model discovery (find_model_dir) and verification against the manifest."""

from __future__ import annotations

import json
import os
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


def fake_model_set(root: Path, name: str = "clm") -> Path:
    """Empty files at every path of a model set: enough for find_model_dir's checks."""
    for rel in models.model_sets()[name]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    return root


def test_explicit_dir_wins(tmp_path, monkeypatch):
    (tmp_path / "main_clnf_general.txt").write_text("LandmarkDetector clnf_general.txt\n")
    monkeypatch.setenv(models.ENV_VAR, str(tmp_path / "elsewhere"))
    assert pyfacelm.find_model_dir(tmp_path) == tmp_path.resolve()


def test_explicit_dir_that_is_not_a_model_dir_is_an_error(tmp_path):
    with pytest.raises(pyfacelm.ModelNotFoundError, match="no main_"):
        pyfacelm.find_model_dir(tmp_path)
    with pytest.raises(pyfacelm.ModelNotFoundError, match="does not exist"):
        pyfacelm.find_model_dir(tmp_path / "nope")


@pytest.fixture()
def user_cache(tmp_path, monkeypatch):
    """A complete (fake) model folder in the user cache, and PYFACELM_MODEL_DIR unset."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    cdir = models.cache_dir()
    assert str(cdir).startswith(str(tmp_path))
    return fake_model_set(cdir)


def test_env_then_cache(tmp_path, monkeypatch, user_cache):
    assert pyfacelm.find_model_dir() == user_cache.resolve()
    env_dir = fake_model_set(tmp_path / "env", "clnf")
    monkeypatch.setenv(models.ENV_VAR, str(env_dir))
    assert pyfacelm.find_model_dir() == env_dir.resolve()


@pytest.mark.parametrize("state", ["missing", "file", "empty", "no set complete"])
def test_unusable_env_dir_is_an_error_not_a_fall_through(tmp_path, monkeypatch, user_cache, state):
    env_dir = tmp_path / "env"
    if state == "file":
        env_dir.write_text("")
    elif state == "empty":
        env_dir.mkdir()
    elif state == "no set complete":
        fake_model_set(env_dir, "clnf")
        (env_dir / "patch_experts" / "ccnf_patches_0.25_general.txt").unlink()
    monkeypatch.setenv(models.ENV_VAR, str(env_dir))
    with pytest.raises(pyfacelm.ModelNotFoundError) as e:
        pyfacelm.find_model_dir()
    msg = str(e.value)
    assert models.ENV_VAR in msg and str(env_dir) in msg and "not used" in msg
    if state == "no set complete":
        assert "incomplete" in msg and "ccnf_patches_0.25_general.txt" in msg
    # The same error reaches a detector that relies on the environment variable.
    with pytest.raises(pyfacelm.ModelNotFoundError, match=models.ENV_VAR):
        pyfacelm.CLNFDetector("clm")


def test_not_found_message_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    with pytest.raises(pyfacelm.ModelNotFoundError) as e:
        pyfacelm.find_model_dir()
    msg = str(e.value)
    assert "not set" in msg and str(models.cache_dir()) in msg
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


def test_au_set(tmp_path):
    """The 'au' set: the 62 files both AU configurations read (SPEC_AU §2.7), all under
    AU_predictors/, and an OpenFace checkout's FaceAnalyser folder is a valid import source."""
    from pyfacelm.download import import_models

    au = models.model_sets()["au"]
    assert len(au) == 62 and all(p.startswith("AU_predictors/") for p in au)
    entries = {f["path"]: f for f in models.manifest()["files"]}
    assert sum(entries[p]["size"] for p in au) == 4288737
    checkout = tmp_path / "OpenFace" / "lib" / "local"
    (checkout / "LandmarkDetector" / "model").mkdir(parents=True)
    (checkout / "LandmarkDetector" / "model" / "main_clnf_general.txt").write_text("x\n")
    src = Path(os.environ.get("PYFACELM_MODEL_DIR", "/nonexistent")) / "AU_predictors"
    if not src.is_dir():
        pytest.skip("AU models not available")
    dst = checkout / "FaceAnalyser" / "AU_predictors"
    dst.mkdir(parents=True)
    (dst / "AU_all_best.txt").write_bytes((src / "AU_all_best.txt").read_bytes())
    root, copied, rejected = import_models(tmp_path / "OpenFace", tmp_path / "cache")
    assert copied == ["AU_predictors/AU_all_best.txt"]  # the dummy main_*.txt is rejected
    assert (root / copied[0]).read_bytes() == (src / "AU_all_best.txt").read_bytes()
