"""Run every notebook in nbs/ (except those starting with `_`) as a test, through nbdev's own runner."""
import ast
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook  # renamed so pytest does not collect nbdev's function
from execnb.nbio import read_nb

from conftest import NOTEBOOK_SECONDS

NBS = Path(__file__).resolve().parents[1] / 'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
SKIP_FLAGS = get_config().get('tst_flags', '').split()


def syntax_errors(path):
    "Each code cell must be valid Python once IPython has rewritten its magics (some execnb releases let a bad cell pass)."
    tm, errors = TransformerManager(), []
    for i, cell in enumerate(read_nb(path).cells):
        if cell.cell_type != 'code': continue
        try: ast.parse(tm.transform_cell(cell.source))
        except SyntaxError as e: errors.append(f"{path.name} cell {i}: {e.msg} (line {e.lineno})")
    return errors


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook(path):
    assert not syntax_errors(path), syntax_errors(path)
    ok, seconds = run_notebook(path, skip_flags=SKIP_FLAGS)
    NOTEBOOK_SECONDS[path.stem] = seconds
    assert ok, f"{path.name} failed (the traceback is printed above)"


def test_runner_catches_failures(tmp_path):
    "The harness itself: a notebook with a failing cell or a syntax error must not pass."
    import nbformat
    for src in ('assert 1 == 2', 'def f(:\n    pass'):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
        p = tmp_path / 'broken.ipynb'; nbformat.write(nb, p)
        assert syntax_errors(p) or not run_notebook(p, showerr=False)[0], src
