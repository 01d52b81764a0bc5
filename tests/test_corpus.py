"""The bundled corpus is exactly what musiclab's own code makes from music21's Bach files."""
import filecmp, time

from musiclab.corpus import BACH_DIR, build_bach, load_bach


def test_rebuild_is_byte_identical(tmp_path):
    t0 = time.time()
    build_bach(tmp_path)
    print(f"rebuild: {time.time() - t0:.1f} s")
    names = ['chorales.txt', 'index.csv', 'skipped.csv']
    match, differ, missing = filecmp.cmpfiles(tmp_path, BACH_DIR, names, shallow=False)
    assert match == names, f"differ: {differ}, missing: {missing}"


def test_corpus_size_and_split():
    corpus = load_bach()
    assert sum(map(len, corpus.values())) >= 340
    names = {s: {c.name for c in cs} for s, cs in corpus.items()}
    assert not (names['train'] & names['valid'] or names['train'] & names['test'] or names['valid'] & names['test'])
