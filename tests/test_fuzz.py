"""Every reader against 200 broken inputs per family, made by musiclab.fuzz from files musiclab writes (issue: hostile input).

Each input must end as `read` (a sound result), `warned` or `refused` (the documented error, naming the file): never another
exception type, a result with pitches outside 0..127 or a shape other than (T, 4), a call over 5 s, or code run by a
hostile pickle. The counts per family are printed (pytest -s) for the record.
"""
import time

import pytest

from musiclab.chorales import ChoraleError
from musiclab.files import ChoraleFileError
from musiclab.fuzz import FAILURES, FAMILIES, benchmark_files, fuzz, fuzz_inputs, outcome_table, time_readers

N_PER_FAMILY = 200
RESULTS = {}


@pytest.mark.parametrize('family', list(FAMILIES))
def test_fuzz_family(family, tmp_path):
    marker = tmp_path/'ran-code'
    inputs = fuzz_inputs(family, tmp_path/family, n=N_PER_FAMILY, marker=marker)
    outcomes = fuzz(FAMILIES[family], inputs, error=ChoraleError if family == 'chorale' else ChoraleFileError,
                    marker=marker, time_limit=5.0, name_file=family != 'chorale')
    RESULTS[family] = outcomes
    failures = [f'{o.kind}: {o.label}: {o.message}' for o in outcomes if o.kind in FAILURES]
    assert len(outcomes) == N_PER_FAMILY
    assert not failures, '\n'.join(failures[:20])
    assert not marker.exists()


def test_fuzz_summary():
    "Runs after the families (pytest keeps file order): prints the table that goes into the closing note."
    if not RESULTS: pytest.skip('run with the family tests')
    print('\n' + outcome_table(RESULTS).to_string())


def test_whole_benchmark_loads_in_under_2_s(tmp_path):
    """A synthetic data set the size of the JSB benchmark (229 / 76 / 77 chorales), in every format: median CPU time of 3 reads
    (CPU, not wall clock: on a shared machine the wall clock measures the neighbours)."""
    files = benchmark_files(tmp_path)
    speed = time_readers(files, repeats=3)
    print('\n' + '\n'.join(f"{fmt:15} cpu {row['cpu s']:.3f} s  wall {row['wall s']:.3f} s  {row['steps']:,} steps" for fmt, row in speed.items()))
    assert {fmt: row['chorales'] for fmt, row in speed.items()} == {fmt: 382 for fmt in files}
    slow = {fmt: row['cpu s'] for fmt, row in speed.items() if row['cpu s'] >= 2.0}
    assert not slow, slow
