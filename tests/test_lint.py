"""No unused imports in the library: the same check as .ci/run, so that `pytest tests` catches them too (ruff comes with the dev extra)."""
import shutil, subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which('ruff') is None, reason='ruff is not installed (pip install -e ".[dev]")')
def test_no_unused_imports():
    run = subprocess.run(['ruff', 'check', '--select', 'F401', '--no-cache', '--output-format', 'concise', 'musiclab/'],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, f"unused imports (remove them from the notebooks' #| export import cells):\n{run.stdout}"
