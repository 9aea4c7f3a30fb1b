"""The README's install commands on a fresh venv: ``pip install`` of the project with no extra gives every
documented command that needs no server library (``demo``, ``validate``, ``jobs``, ``templates``...);
``serve`` says which extra it needs. Slow (it installs the dependencies from the package index)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


def test_the_readme_install_on_a_fresh_venv(tmp_path: Path) -> None:
    source = tmp_path / "idsync"  # a copy: building in the working tree would leave build/ there
    ignore = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "*.db", "idsync-demo")
    shutil.copytree(ROOT, source, ignore=ignore)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(source)], capture_output=True, text=True, timeout=900
    )
    assert pip.returncode == 0, pip.stderr
    idsync = str(venv / "bin" / "idsync")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([idsync, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        return done

    demo = run("demo", "--dir", str(tmp_path / "demo"))
    assert demo.returncode == 0 and "Succeeded" in demo.stdout, demo.stderr
    job = str(tmp_path / "demo" / "job.yaml")
    for args in (
        ("validate", job),
        ("dry-run", job),
        ("explain", job, "user-0007"),
        ("logs", job, "--limit", "3"),
        ("jobs", "list", job),
        ("jobs", "status", job),
        ("jobs", "pause", job),
        ("jobs", "start", job),
        ("jobs", "restart", job),
        ("templates", "list"),
        ("test-connection", job),
        ("parse-expression", 'Join(" ", [a], [b])', "--input", '{"a": "x", "b": "y"}'),
    ):
        done = run(*args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    serve = run("serve", "--no-auth", job)
    assert serve.returncode == 2 and "idsync[server]" in serve.stderr
