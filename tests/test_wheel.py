"""A repaired manylinux wheel works in a fresh venv with no compiler and no Eigen in sight.

Builds the wheel with tools/build_wheel.sh (pip wheel + auditwheel repair), installs it with
--only-binary into a new venv whose PATH holds nothing but the venv, then fits a face from
../shared, runs the README's Python examples, and runs the model-free tests against it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
import zipfile

import pytest
from conftest import REPO, SAMPLES, SHARED

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="auditwheel repair is Linux-only"
    ),
]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git not available")
    work = tmp_path_factory.mktemp("wheel")
    out = work / "dist"
    r = run(["bash", str(REPO / "tools" / "build_wheel.sh"), str(out)], cwd=REPO)
    wheels = sorted(out.glob("pyfacelm-*manylinux*.whl"))
    assert len(wheels) == 1, r.stdout
    whl = wheels[0]
    show = run([sys.executable, "-m", "auditwheel", "show", str(whl)]).stdout
    assert "manylinux" in show
    # Nothing had to be grafted into the wheel: no libraries beyond the manylinux policy.
    with zipfile.ZipFile(whl) as z:
        assert not [n for n in z.namelist() if ".libs/" in n], z.namelist()
    size = whl.stat().st_size
    print(f"\nwheel {whl.name}: {size} bytes")
    assert size <= 3_000_000
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    run([str(py), "-m", "pip", "install", "--quiet", "--only-binary=:all:", str(whl)])
    run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--only-binary=:all:",
            "pytest",
            "hypothesis",
            "opencv-python-headless",
        ]
    )
    # Nothing to compile with: PATH has only the venv; compiler and header variables point nowhere.
    bare = {
        "PATH": str(env_dir / "bin"),
        "HOME": str(work / "home"),
        "XDG_CACHE_HOME": str(work / "cache"),
        "CC": "/nonexistent/cc",
        "CXX": "/nonexistent/c++",
        "CPATH": "/nonexistent",
        "CPLUS_INCLUDE_PATH": "/nonexistent",
    }
    return py, bare, work


def test_no_compiler_visible(wheel_venv):
    py, env, _ = wheel_venv
    r = run(
        [
            str(py),
            "-c",
            "import shutil; print([shutil.which(c) for c in ('gcc', 'g++', 'cc', 'c++', 'cmake')])",
        ],
        env=env,
    )
    assert r.stdout.strip() == "[None, None, None, None, None]"


def test_wheel_fits_a_face(wheel_venv):
    py, env, work = wheel_venv
    model = SHARED / "openface" / "model"
    if not model.is_dir():
        pytest.skip("../shared/openface/model not available")
    code = (
        "import cv2, pyfacelm, sys\n"
        f"det = pyfacelm.CLNFDetector('clnf', {str(model)!r})\n"
        f"faces = det.detect(cv2.imread({str(SAMPLES / 'sample1.jpg')!r}))\n"
        "assert len(faces) == 1 and faces[0].success, faces\n"
        "assert 'site-packages' in pyfacelm.__file__, pyfacelm.__file__\n"
        "print(faces[0])\n"
    )
    r = run([str(py), "-c", code], env=env, cwd=work)
    assert "success=True" in r.stdout


def test_readme_examples_run_from_the_wheel(wheel_venv):
    py, env, work = wheel_venv
    model = SHARED / "openface" / "model"
    if not model.is_dir():
        pytest.skip("../shared/openface/model not available")
    ex = work / "readme"
    ex.mkdir(exist_ok=True)
    shutil.copy(SAMPLES / "sample1.jpg", ex / "face.jpg")
    (ex / "samples").mkdir(exist_ok=True)
    shutil.copy(SAMPLES / "sample1.jpg", ex / "samples" / "sample1.jpg")
    shutil.copy(SAMPLES / "default.wmv", ex / "video.mp4")
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    # The corpus examples need the `batch` extra and a cluster (tests/test_batch.py runs the API).
    blocks = [b for b in blocks if "from pyfacelm import batch" not in b]
    assert len(blocks) >= 4
    (ex / "readme.py").write_text("\n".join(blocks))
    run([str(py), "readme.py"], env=dict(env, PYFACELM_MODEL_DIR=str(model)), cwd=ex)


def test_model_free_tests_pass_against_the_wheel(wheel_venv):
    py, env, work = wheel_venv
    r = subprocess.run(
        [
            str(py),
            "-m",
            "pytest",
            str(REPO / "tests"),
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not wheel",
        ],
        capture_output=True,
        text=True,
        env=dict(env, PYFACELM_SHARED_DIR=str(work / "no-shared")),
        cwd=work,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout
