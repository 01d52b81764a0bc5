"""`musiclab harmonize`, `musiclab regenerate` and `musiclab evaluate` on masked checkpoints: bad input ends in one line,
`musiclab <command>: <what>: <why>`, and the note-wise NLL path works on a small file in the JSB benchmark's format."""
import json, math
from pathlib import Path

import numpy as np
import pytest
import torch

from musiclab.chorales import SPLITS
from musiclab.corpus import load_bach
from musiclab.encoding import Vocab, voice_ranges
from musiclab.models.masked import MaskedConfig, MaskedModel, save_masked
from test_cli_errors import fails


@pytest.mark.parametrize('argv, expected', [
    (['harmonize', 'G4:1 C6:1'], "musiclab harmonize: melody: the soprano goes from G4 to C6 (MIDI 67..84), outside its range"),
    (['harmonize', 'G4:1 C6:1'], "transpose it by -3 semitones (any shift from -10 to -3 fits)"),
    (['harmonize', 'g4 a32'], "musiclab harmonize: melody line 1: 'a32' lasts 1/8 of a quarter note: that is finer than the grid of 16th notes"),
    (['harmonize', 'C4+E4:1'], "musiclab harmonize: melody line 1: 'C4+E4:1' is a chord; a melody has one note at a time"),
    (['harmonize', ''], "musiclab harmonize: melody: an empty melody (no notes)"),
    (['harmonize', 'r:4'], "musiclab harmonize: melody: an empty melody (no notes, only rests)"),
    (['harmonize', 'nosuch.mid'], "musiclab harmonize: nosuch.mid: no such file"),
    (['harmonize', 'g4', '--steps', '0'], "musiclab harmonize: --steps: expected 1 or more, got 0"),
    (['harmonize', 'g4', '--temperature', 'nan'], "musiclab harmonize: --temperature: expected a finite number 0 or more, got nan"),
    (['harmonize', 'g4', '--bpm', '0'], "musiclab harmonize: --bpm: expected a positive tempo, got 0.0"),
    (['harmonize', 'g4', '--voices-given', 'SB'], "musiclab harmonize: voices: only for files with several parts"),
    (['harmonize', 'g4', '--method', 'beam'], "musiclab harmonize: argument --method: invalid choice: 'beam'"),
    (['harmonize', 'g4', '--key', 'H major'], "musiclab harmonize: --key: 'H major' is not a key; expected a tonic A-G"),
    (['regenerate', 'bwv66.6', '--bars', '40-44'], "musiclab regenerate: --bars: 40-44 is outside the bars of bwv66.6, 0..9 (bar 0 is the pickup)"),
    (['regenerate', 'bwv66.6', '--bars', 'five'], "musiclab regenerate: --bars: expected a bar or a range of bars such as 5 or 5-8, got 'five'"),
    (['regenerate', 'bwv66.6', '--bars', '2', '--voices', 'XY'], "musiclab regenerate: --voices: expected some of the letters S, A, T, B (each once)"),
    (['regenerate', 'nosuch', '--bars', '1'], "musiclab regenerate: nosuch: neither a chorale of the bundled corpus (e.g. bwv66.6) nor a .mid"),
    (['regenerate', 'bwv66.6'], "musiclab regenerate: the following arguments are required: --bars"),
])
def test_masked_command_errors(argv, expected):
    code, message = fails(argv)
    assert code in (1, 2) and expected in message, message


def test_bad_model_and_out(tmp_path):
    (tmp_path/'garbage.pt').write_bytes(b'not a checkpoint')
    code, message = fails(['harmonize', 'g4', '--model', str(tmp_path/'garbage.pt')])
    assert message.startswith(f"musiclab harmonize: --model: {tmp_path/'garbage.pt'}: "), message
    assert fails(['harmonize', 'g4', '--model', str(tmp_path/'nope.pt')])[1].startswith('musiclab harmonize: --model: ')
    f = tmp_path/'file.txt'; f.write_text('x')
    for command in (['harmonize', 'g4'], ['regenerate', 'bwv66.6', '--bars', '1']):
        assert fails(command + ['--out', str(f)])[1] == f"musiclab {command[0]}: --out: {f} is a file; give a folder"


def test_melody_file_errors(tmp_path):
    (tmp_path/'tune.txt').write_text("% a tune\nG4:1 A4:1\nB4:1 Q4:1\n")
    assert fails(['harmonize', str(tmp_path/'tune.txt')])[1] == \
        f"musiclab harmonize: {tmp_path/'tune.txt'} line 3: 'Q4:1' is not a note: write a note name with its octave and a duration " \
        "in quarter notes, e.g. G4:1, F#4:0.5, Bb3:2, r:1 (a rest), C5:2^ (with a fermata)"
    bach = load_bach(split='valid')[0]
    bach.to_midi(tmp_path/'bach.mid')
    assert fails(['harmonize', str(tmp_path/'bach.mid'), '--voices-given', 'SAT'])[1] == \
        f"musiclab harmonize: {tmp_path/'bach.mid'}: voices: expected one letter of SATB (or '.' to leave the part out) for each " \
        "of its 4 parts, in order, each letter once and S among them; got 'SAT'"


def jsb_fixture(path, chorales):
    "A small file in the layout of Coconet's Jsb16thSeparated.npz: per split an object array of (T, 4) floats, bass first, NaN = silence."
    def column(c): x = c.pitches[:, ::-1].astype(float); x[x == 0] = np.nan; return x
    parts = dict(zip(SPLITS, (chorales[:2], chorales[2:4], chorales[4:6])))
    np.savez(path, **{s: np.array([column(c) for c in cs] + [None], dtype=object)[:-1] for s, cs in parts.items()})
    return parts


@pytest.mark.parametrize('trained_on', ['jsb', 'bach'])
def test_evaluate_masked_on_jsb(tmp_path, trained_on):
    chorales = load_bach(split='valid')[:6]
    parts = jsb_fixture(tmp_path/'Jsb16thSeparated.npz', chorales)
    torch.manual_seed(0)
    model = MaskedModel(MaskedConfig.preset('tiny'), Vocab(voice_ranges(chorales), hold=False), 32)   # pitch-only, as JSB has no onsets
    data = f"jsb:{tmp_path/'Jsb16thSeparated.npz'}"
    save_masked(tmp_path/'masked.pt', model, data=data if trained_on == 'jsb' else 'bach')
    from musiclab.cli import main
    assert main(['evaluate', str(tmp_path/'masked.pt'), '--data', data, '--orderings', '2', '--out', str(tmp_path/'r.json')]) == 0
    rows = json.loads((tmp_path/'r.json').read_text())
    splits = ['valid', 'test'] if trained_on == 'jsb' else ['valid']       # the bundled corpus overlaps JSB's test split
    assert [r['split'] for r in rows] == splits
    for r in rows:
        assert r['cells'] == sum(4 * len(c) for c in parts[r['split']]), r
        assert 0 < r['notewise_nll'] < math.log(model.vocab.max_size) + 1, r   # an untrained model: near uniform, never absurd


def test_evaluate_orderings_flag(tmp_path):
    assert fails(['evaluate', '--orderings', '0'])[1] == "musiclab evaluate: --orderings: expected 1 or more, got 0"
