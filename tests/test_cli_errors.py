"""Every bad flag and path of the `musiclab` command ends in one line on stderr, `musiclab <command>: <what>: <why>`:
never a traceback, never PyTorch's advice to load a file unsafely, never code run from a file."""
import contextlib, io, os, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest
import torch

from musiclab.cli import main, parser, _check_args
from musiclab.encoding import Vocab
from musiclab.training import TrainConfig, build_model, model_config, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def fails(argv):
    "(exit code, the one line of the error) of `main(argv)`; fails the test if it does not exit or writes more than a line."
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as e: main(argv)
    message = e.value.code if isinstance(e.value.code, str) else err.getvalue().strip()
    assert '\n' not in message.strip(), message
    assert 'Traceback' not in message and 'weights_only' not in message, message
    return (1 if isinstance(e.value.code, str) else e.value.code), message


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    "A small valid checkpoint (built, not trained) and broken ones made from it."
    d = tmp_path_factory.mktemp('ckpts')
    vocab = Vocab(np.array([[60, 79], [55, 74], [48, 67], [36, 60]]), hold=True)
    config = TrainConfig(window=16)
    model = build_model(model_config('convlstm', 'tiny'), vocab, config.window)
    save_checkpoint(d/'good.pt', model, config, vocab)
    raw = torch.load(d/'good.pt', weights_only=True)
    torch.save({**raw, 'model_config': {**raw['model_config'], 'hidden': 10**6}}, d/'absurd.pt')
    torch.save({**raw, 'vocab_ranges': [[0, 10**9]] * 4}, d/'ranges.pt')
    torch.save({**raw, 'train_config': {**raw['train_config'], 'data': f'jsb:{d}/elsewhere.npz'}}, d/'jsb.pt')
    torch.save({'weights': [1, 2, 3]}, d/'other.pt')
    (d/'garbage.pt').write_bytes(b'this is not a checkpoint')
    (d/'empty.pt').write_bytes(b'')

    class Touch:  # unpickling it would create the marker file
        def __reduce__(self): return (io.open, (str(d/'ran-code'), 'w'))
    torch.save({**raw, 'history': [Touch()]}, d/'hostile.pt')
    return d


@pytest.mark.parametrize('name, why', [('garbage', 'not a musiclab checkpoint ('), ('empty', 'empty or cut short'),
                                       ('other', 'missing state_dict'), ('hostile', 'it would call io.open, which a safe load refuses'),
                                       ('absurd', 'the config does not match the weights'), ('ranges', 'bad config (vocab_ranges'),
                                       ('jsb', 'name the data to evaluate on (--data jsb:')])
def test_evaluate_bad_checkpoint(ckpts, name, why):
    code, message = fails(['evaluate', str(ckpts/f'{name}.pt')])
    assert code == 1 and message.startswith(f"musiclab evaluate: {ckpts/name}.pt: ") and why in message, message
    assert not (ckpts/'ran-code').exists()


def test_evaluate_missing_and_folder(ckpts, tmp_path):
    assert fails(['evaluate', str(tmp_path/'nope.pt')])[1] == f"musiclab evaluate: {tmp_path/'nope.pt'}: no such checkpoint"
    assert fails(['evaluate', str(tmp_path)])[1] == f"musiclab evaluate: {tmp_path}: no such checkpoint (it is a folder)"
    assert fails(['evaluate', str(ckpts/'good.pt'), '--out', str(tmp_path)])[1] == \
        f"musiclab evaluate: --out: {tmp_path} is a folder; give a file name"


def test_evaluate_good_checkpoint(ckpts, tmp_path):
    assert main(['evaluate', str(ckpts/'good.pt'), '--out', str(tmp_path/'r.json')]) == 0


@pytest.mark.parametrize('command', ['demo', 'generate', 'train', 'build-data', 'pretrain'])
def test_out_that_is_a_file(command, tmp_path):
    f = tmp_path/'file.txt'; f.write_text('x')
    assert fails([command, '--out', str(f)])[1] == f"musiclab {command}: --out: {f} is a file; give a folder"


def test_pretrain_unknown_model():
    assert fails(['pretrain', 'nosuch']) == (1, 'musiclab pretrain: nosuch: not a pretrained model (known: ridge, convlstm, transformer)')


@pytest.mark.parametrize('flag, value, why', [('--temperature', 'inf', 'expected a finite number 0 or more, got inf'),
                                              ('--temperature', 'nan', 'expected a finite number 0 or more, got nan'),
                                              ('--temperature', '-1', 'expected a finite number 0 or more, got -1.0'),
                                              ('--bars', '0', 'expected 1 or more, got 0'), ('--bpm', '0', 'expected a positive tempo, got 0.0'),
                                              ('--bpm', 'inf', 'expected a positive tempo, got inf'), ('--prime-bars', '-1', 'expected 0 or more, got -1')])
def test_generate_bad_numbers(flag, value, why):
    assert fails(['generate', flag, value]) == (1, f"musiclab generate: {flag}: {why}")


def test_argparse_errors_are_one_line():
    assert fails(['train', '--lr', 'x']) == (2, "musiclab train: argument --lr: invalid float value: 'x'")
    assert fails(['demo', '--bpm', 'fast']) == (2, "musiclab demo: argument --bpm: invalid float value: 'fast'")
    assert fails(['nosuch'])[1].startswith("musiclab: argument command: invalid choice: 'nosuch'")


def test_garbage_model(ckpts):
    code, message = fails(['generate', '--model', str(ckpts/'garbage.pt'), '--bars', '1'])
    assert message.startswith(f"musiclab generate: --model: {ckpts/'garbage.pt'}: not a musiclab checkpoint"), message
    assert 'hostile' not in message and fails(['generate', '--model', str(ckpts/'hostile.pt')])[1].endswith('which a safe load refuses)')
    assert not (ckpts/'ran-code').exists()


def test_prime_bars_0_without_pickup(ckpts):
    from musiclab.corpus import load_bach
    name = next(c.name for c in load_bach(split='test') if c.pickup == 0)
    code, message = fails(['generate', '--model', str(ckpts/'good.pt'), '--prime', name, '--prime-bars', '0'])
    assert message == (f"musiclab generate: --prime-bars 0: {name} has no pickup, so the prime would be empty and the model "
                       "would start from silence; give --prime-bars 1 or more")


def test_resume_with_a_bad_last_pt(tmp_path):
    (tmp_path/'last.pt').write_bytes(b'garbage')
    code, message = fails(['train', '--preset', 'tiny', '--epochs', '1', '--out', str(tmp_path), '--resume'])
    assert message.startswith(f"musiclab train: {tmp_path/'last.pt'}: not a musiclab checkpoint ("), message


def test_bench_without_arguments():
    args = parser().parse_args(['bench'])
    _check_args(args)
    assert args.what == ['load', 'generate', 'infer']
    assert fails(['bench', '--repeats', '0'])[1] == 'musiclab bench: --repeats: expected 1 or more, got 0'


def test_interrupted_writes_leave_no_tmp_files(ckpts, tmp_path):
    "A .tmp left by a killed write (older than this process) goes at the next save; the checkpoint itself stays whole."
    stale = tmp_path/'.best.pt.abc123.tmp'; stale.write_bytes(b'half a checkpoint')
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    raw = torch.load(ckpts/'good.pt', weights_only=True)
    model = build_model(model_config('convlstm', 'tiny'), Vocab(np.array(raw['vocab_ranges']), hold=True), 16)
    save_checkpoint(tmp_path/'best.pt', model, TrainConfig(window=16), Vocab(np.array(raw['vocab_ranges']), hold=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['best.pt']


def test_generate_says_when_it_replaces_files(ckpts, tmp_path):
    argv = ['generate', '--model', str(ckpts/'good.pt'), '--bars', '1', '--no-sampler', '--out', str(tmp_path)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out): assert main(argv) == 0
    assert 'replacing' not in out.getvalue()
    out = io.StringIO()
    with contextlib.redirect_stdout(out): assert main(argv) == 0
    assert out.getvalue().count('(replacing the file of an earlier run with this model and seed)') == 5, out.getvalue()


@pytest.mark.parametrize('argv', [['evaluate', 'nope.pt'], ['generate', '--model', 'GARBAGE', '--bars', '1'], ['bench', 'nosuch']])
def test_real_process_prints_one_line(ckpts, argv):
    "The installed entry point, in a process of its own: exit status 1 or 2, one line on stderr, no traceback."
    argv = [str(ckpts/'garbage.pt') if a == 'GARBAGE' else a for a in argv]
    r = subprocess.run([sys.executable, '-c', 'import sys; from musiclab.cli import main; sys.exit(main())', *argv],
                       capture_output=True, text=True, cwd=ckpts, env={**os.environ, 'PYTHONPATH': str(ROOT)}, timeout=120)
    assert r.returncode in (1, 2), r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'musiclab {argv[0]}: ') and 'Traceback' not in r.stderr, r.stderr


def test_train_on_hostile_or_misnamed_data(tmp_path):
    "--data jsb:FILE never runs code from FILE; a CSV folder given as jsb: is pointed to text:."
    from musiclab.fuzz import hostile_npz
    (tmp_path/'Jsb16thSeparated.npz').write_bytes(hostile_npz(tmp_path/'ran-code'))
    code, message = fails(['train', '--data', f"jsb:{tmp_path/'Jsb16thSeparated.npz'}", '--out', str(tmp_path/'run')])
    assert message.startswith(f"musiclab train: {tmp_path/'Jsb16thSeparated.npz'}: ") and 'refusing to load io.open' in message, message
    assert not (tmp_path/'ran-code').exists()
    (tmp_path/'csv'/'train').mkdir(parents=True)
    code, message = fails(['train', '--data', f"jsb:{tmp_path/'csv'}", '--out', str(tmp_path/'run')])
    assert message.endswith('(on the command line: --data text:FOLDER)'), message
