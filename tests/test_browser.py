"""The committed notebooks as a reader sees them: opened fresh in JupyterLab, untrusted and not run.

The first tests read the notebook files (no browser): every score carries a PNG beside its SVG, every player keeps
its sound where JupyterLab's sanitizer leaves it, and every notebook names its kernel. The browser tests open each
notebook with a score or a player in JupyterLab, in Debian's chromium driven by Playwright (no browser download;
`.ci/run` installs chromium with apt), and check that every score is a visible picture, that every player has a
sound with a duration and plays, and that no "Select Kernel" dialog opens. Screenshots go to test-artifacts/browser/.
Run on its own with `python -m pytest tests/test_browser.py -q`: JupyterLab starts once (15-30 s), then each notebook
takes a few seconds (measured on two busy cores: 75 s for 8 notebooks, 200 s for 22 with other jobs running).

After Run All (a real kernel from this environment): `RUN_ALL` names the notebooks run in the browser, the index and
the explorer (between them scores, players, the explorer and the blind test's widgets), not every notebook with sound
or a score, which would take far longer than the three minutes this file may use (adding 01_listen and its corpus
browser took the file to 181 s); each is a copy without its `#| slow` cells, as the notebook tests run it. There
must be no error output, every ipywidget must be drawn as controls (never "Error displaying widget" or "Loading
widget..."), and every player must hold a sound. In the explorer the test presses Generate (the score, the player
and the metrics appear), presses it again (the same take), switches a sampler rule off and presses it once more
(another take). Measured on two busy cores: the whole file in 152 s (34 notebooks as committed, then index in 11 s
and 70_explorer in 22 s after Run All).
"""
import json, os, re, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith('_'))
ARTIFACTS = ROOT / 'test-artifacts' / 'browser'
CHROMIUM = os.environ.get('MUSICLAB_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-sync',
                  '--disable-background-networking', '--disable-component-update',  # this machine has no network
                  '--autoplay-policy=no-user-gesture-required']                      # so a test may press play
SERVER_START_S, RENDER_S = 90, 60  # generous limits; a notebook usually renders in a few seconds
RUN_ALL = ('index', '70_explorer')   # run in the browser with a kernel (see the docstring)
RUN_S = 180                       # the longest a Run All may take (70_explorer: about 45 s)
SKIP = re.compile(r'^#\|\s*(slow|notest|eval:\s*false)\b', re.M)   # cells the notebook tests skip


def outputs(path):
    "Every output of every code cell of the notebook at `path`."
    return [o for c in json.loads(path.read_text(encoding='utf-8'))['cells'] for o in c.get('outputs', [])]

def html(o): return ''.join(o.get('data', {}).get('text/html', ''))
def is_score(o): return 'image/svg+xml' in o.get('data', {})
def is_player(o): return '<audio' in html(o)
def is_picture(o): return 'image/png' in o.get('data', {})

WITH_SOUND_OR_SCORE = [p for p in NOTEBOOKS if any(is_score(o) or is_player(o) for o in outputs(p))]


# ---- the files: no browser needed ----

@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_names_its_kernel(path):
    "Without a kernelspec JupyterLab asks which kernel to start, every time the notebook is opened."
    kernelspec = json.loads(path.read_text(encoding='utf-8'))['metadata'].get('kernelspec', {})
    assert kernelspec.get('name') == 'python3', f"{path.name}: metadata.kernelspec is {kernelspec or 'missing'}"


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_survive_an_untrusted_view(path):
    "An untrusted notebook drops SVG outputs and strips `src` from `<source>`: a score needs its PNG, a player `<audio src>`."
    bare_svg = sum(is_score(o) and not is_picture(o) for o in outputs(path))
    assert not bare_svg, f"{path.name}: {bare_svg} SVG output(s) without a PNG beside them (use musiclab.listen.score)"
    players = [h for h in map(html, outputs(path)) if '<audio' in h]
    dead = [h[:80] for h in players if '<source' in h or not re.search(r'<audio[^>]* src="data:audio/', h)]
    assert not dead, f"{path.name}: {len(dead)} player(s) with the sound in <source> (use musiclab.listen.play): {dead[0]}"


def test_the_file_checks_can_fail(tmp_path):
    "The checks above catch what IPython's own SVG and Audio write, in a notebook without a kernelspec."
    from IPython.core.formatters import DisplayFormatter
    from IPython.display import SVG, Audio
    fmt = lambda obj: {'output_type': 'display_data', 'metadata': {}, 'data': DisplayFormatter().format(obj)[0]}
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    nb = {'cells': [{'cell_type': 'code', 'source': '', 'metadata': {}, 'execution_count': None,
                     'outputs': [fmt(SVG(svg)), fmt(Audio([0.0, 0.5, 0.0], rate=8000))]}],
          'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    path = tmp_path / 'old.ipynb'; path.write_text(json.dumps(nb))
    for check, message in ((test_notebook_names_its_kernel, 'kernelspec'), (test_outputs_survive_an_untrusted_view, 'SVG')):
        with pytest.raises(AssertionError, match=message): check(path)
    nb['cells'][0]['outputs'] = nb['cells'][0]['outputs'][1:]; path.write_text(json.dumps(nb))
    with pytest.raises(AssertionError, match='<source>'): test_outputs_survive_an_untrusted_view(path)


# ---- the browser ----

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "JupyterLab on loopback, serving a copy of nbs/ with fresh settings and no trusted notebooks, and a chromium page."
    if not Path(CHROMIUM).exists(): pytest.skip(f'no chromium at {CHROMIUM} (apt-get install chromium)')
    try: from playwright.sync_api import sync_playwright
    except ImportError: pytest.skip('playwright is not installed (pip install -e ".[dev]")')
    home = tmp_path_factory.mktemp('lab')
    shutil.copytree(ROOT / 'nbs', home / 'nbs', ignore=shutil.ignore_patterns('.ipynb_checkpoints'))
    for name in RUN_ALL:  # a copy to run: no outputs, no slow cells
        nb = json.loads((ROOT / 'nbs' / f'{name}.ipynb').read_text(encoding='utf-8'))
        nb['cells'] = [dict(c, outputs=[], execution_count=None) if c['cell_type'] == 'code' else c for c in nb['cells']
                       if not (c['cell_type'] == 'code' and SKIP.search(''.join(c['source'])))]
        (home / 'nbs' / f'{name}-run.ipynb').write_text(json.dumps(nb), encoding='utf-8')
    settings = home / 'settings' / '@jupyterlab' / 'apputils-extension'
    settings.mkdir(parents=True)  # no news or update toasts over the screenshots
    (settings / 'notification.jupyterlab-settings').write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = {**os.environ, 'JUPYTER_DATA_DIR': str(home / 'data'), 'JUPYTER_CONFIG_DIR': str(home / 'config'),
           'JUPYTER_RUNTIME_DIR': str(home / 'runtime'), 'IPYTHONDIR': str(home / 'ipython')}
    port = _free_port()
    log = open(home / 'server.log', 'w')
    server = subprocess.Popen(
        [sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
         '--IdentityProvider.token=', f'--ServerApp.root_dir={home}', '--LabApp.extension_manager=readonly',
         f'--LabApp.user_settings_dir={home / "settings"}', f'--LabApp.workspaces_dir={home / "workspaces"}',
         '--LabApp.news_url=', '--ServerApp.port_retries=0', '--ServerApp.disable_check_xsrf=True',
         '--LabApp.expose_app_in_browser=True'] + (['--allow-root'] if os.geteuid() == 0 else []),
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    try:
        for _ in range(SERVER_START_S * 2):
            try:
                urllib.request.urlopen(f'{base}/api/status', timeout=2); break
            except OSError:
                if server.poll() is not None: break
                time.sleep(0.5)
        else: pytest.fail(f'JupyterLab did not answer within {SERVER_START_S} s:\n{(home / "server.log").read_text()[-3000:]}')
        if server.poll() is not None: pytest.fail(f'JupyterLab exited:\n{(home / "server.log").read_text()[-3000:]}')
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
            page = browser.new_page(viewport={'width': 1280, 'height': 900})
            yield base, page
            browser.close()
    finally:
        server.terminate()
        try: server.wait(timeout=20)
        except subprocess.TimeoutExpired: server.kill()
        log.close()


# What the page shows, measured in the page: every rendered output's MIME type, image sizes, players' durations.
MEASURE = """async () => {
  const shown = [...document.querySelectorAll('.jp-OutputArea-output')];
  const images = [...document.querySelectorAll('.jp-OutputArea-output img')];
  const players = [...document.querySelectorAll('.jp-OutputArea-output audio')];
  const duration = a => new Promise(done => {
    if (a.readyState >= 1) return done(a.duration);
    a.addEventListener('loadedmetadata', () => done(a.duration));
    a.addEventListener('error', () => done(-1));
    setTimeout(() => done(-2), 10000);
    a.load();
  });
  return {
    mime: shown.map(o => o.getAttribute('data-mime-type')),
    svgs: document.querySelectorAll('.jp-OutputArea-output svg').length,
    images: images.map(i => [i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]),
    sources: players.map(a => (a.getAttribute('src') || '').slice(0, 22)),
    durations: await Promise.all(players.map(duration)),
    text: document.querySelector('.jp-Notebook').innerText,
    dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.slice(0, 200)),
  };
}"""

PLAY = """async () => Promise.all([...document.querySelectorAll('.jp-OutputArea-output audio')].map(async a => {
  a.muted = true;
  const timeout = new Promise(done => setTimeout(() => done('timed out'), 3000));  // play() waits for ever without a sound
  const started = await Promise.race([a.play().then(() => 'ok', e => 'play() failed: ' + e), timeout]);
  if (started !== 'ok') return started;
  await new Promise(done => setTimeout(done, 400));
  const t = a.currentTime; a.pause(); a.currentTime = 0; return t;
}))"""

# Set once the notebook's kernel is chosen: a "Select Kernel" dialog, if one comes, is on the page by then.
KERNEL_CHOSEN = """() => document.querySelector('.jp-Dialog') ||
  !['', 'No Kernel'].includes((document.querySelector('.jp-Toolbar-kernelName') || {innerText: ''}).innerText.trim())"""


OPEN = """async path => {
  const app = window.jupyterapp;
  for (const w of [...app.shell.widgets('main')]) w.dispose();  // the last notebook, without asking to save it
  await app.commands.execute('docmanager:open', {path});
}"""


def open_notebook(base, page, path):
    "Open `path` as a new reader would and wait until every output is on the page and its kernel is chosen."
    if not page.url.startswith(f'{base}/lab'):  # JupyterLab loads once; each notebook then opens in it
        page.goto(f'{base}/lab?reset', wait_until='domcontentloaded')
        page.wait_for_function('() => window.jupyterapp && window.jupyterapp.shell', timeout=RENDER_S * 1000)
        page.wait_for_selector('.jp-DirListing-content', timeout=RENDER_S * 1000)
    page.evaluate(OPEN, f'nbs/{path.name}')
    page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=RENDER_S * 1000)
    page.wait_for_function('n => document.querySelectorAll(".jp-OutputArea-output").length >= n',
                           arg=len(outputs(path)), timeout=RENDER_S * 1000)
    page.wait_for_function(KERNEL_CHOSEN, timeout=RENDER_S * 1000)
    page.wait_for_timeout(500)


def stop_kernels(base):
    "Shut down the kernels that opening notebooks started (they only cost memory and CPU here)."
    for session in json.load(urllib.request.urlopen(f'{base}/api/sessions', timeout=10)):
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions/{session['id']}", method='DELETE'), timeout=10)


@pytest.mark.parametrize('path', WITH_SOUND_OR_SCORE, ids=lambda p: p.stem)
def test_notebook_in_the_browser(lab, path):
    base, page = lab
    open_notebook(base, page, path)
    seen, stored = page.evaluate(MEASURE), outputs(path)
    if seen['dialogs']:
        page.screenshot(path=str(ARTIFACTS / f'{path.stem}-dialog.png')); page.keyboard.press('Escape')
    for kind, test in (('score', is_score), ('player', is_player)):  # the first of each, in its place on the page
        first = next((i for i, o in enumerate(stored) if test(o)), None)
        if first is None or len(seen['mime']) <= first: continue
        page.locator('.jp-OutputArea-output').nth(first).scroll_into_view_if_needed(); page.wait_for_timeout(200)
        page.screenshot(path=str(ARTIFACTS / f'{path.stem}-{kind}.png'))
    played = page.evaluate(PLAY)
    stop_kernels(base)

    assert not seen['dialogs'], f"{path.name} opened a dialog: {seen['dialogs']}"
    assert len(seen['mime']) == len(stored), f"{path.name}: {len(seen['mime'])} outputs on the page, {len(stored)} in the file"
    n_scores, n_pictures, n_players = (sum(map(f, stored)) for f in (is_score, is_picture, is_player))
    assert not re.findall(r'<IPython\.core\.display\.\w+ object>|<\S+Player object>', seen['text']), \
        f"{path.name}: an output shows as text instead of a picture or a player"
    assert seen['svgs'] == 0, f"{path.name}: an SVG was rendered, so the notebook was trusted; this test needs it untrusted"
    assert seen['mime'].count('image/png') == n_pictures, (path.name, seen['mime'])
    assert [w > 0 and h > 0 and shown > 0 for w, h, shown in seen['images']] == [True] * n_pictures, \
        f"{path.name}: images not drawn: {seen['images']}"
    assert len(seen['durations']) == n_players, (path.name, seen['sources'])
    assert all(d > 0 for d in seen['durations']), f"{path.name}: players without sound (durations {seen['durations']})"
    assert all(isinstance(t, (int, float)) and t > 0 for t in played), f"{path.name}: players did not play: {played}"
    print(f"{path.name}: {n_scores} scores (as PNG), {n_pictures} pictures, {n_players} players "
          f"({', '.join(f'{d:.1f}' for d in seen['durations'])} s), no dialog")


# ---- after Run All, with a kernel ----

RUN = """async () => {
  const nb = window.jupyterapp.shell.currentWidget;
  await nb.sessionContext.ready;
  await window.jupyterapp.commands.execute('notebook:run-all-cells');
}"""

# 'running', 'done' or 'error: ...', read from the notebook's model
PROGRESS = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const cells = nb.content.widgets.filter(c => c.model.type === 'code');
  for (const c of cells) for (const o of c.model.outputs.toJSON())
    if (o.output_type === 'error') return 'error: ' + o.ename + ': ' + o.evalue + ' in ' + c.model.sharedModel.getSource().slice(0, 80);
  const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
  const done = cells.every(c => c.model.executionCount !== null) && kernel && kernel.status === 'idle';
  return done ? 'done' : 'running';
}"""

WIDGETS = """() => {
  const nb = window.jupyterapp.shell.currentWidget, out = {n: 0, drawn: 0, broken: []};
  for (const c of nb.content.widgets.filter(c => c.model.type === 'code'))
    c.model.outputs.toJSON().forEach((o, i) => {
      if (!(o.data && o.data['application/vnd.jupyter.widget-view+json'])) return;
      out.n += 1;
      const node = c.outputArea.widgets[i] && c.outputArea.widgets[i].node, text = node ? node.innerText : 'no output node';
      if (/Error displaying widget|Loading widget/.test(text) || !node) out.broken.push(text.slice(0, 120));
      else if (node.querySelector('.jupyter-widgets')) out.drawn += 1;
    });
  return out;
}"""


def run_all(base, page, name):
    "Open the slow-cell-free copy of `name`, Run All, and wait until every cell ran (or one failed)."
    path = ROOT / 'nbs' / f'{name}.ipynb'
    page.evaluate(OPEN, f'nbs/{name}-run.ipynb')
    page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=RENDER_S * 1000)
    page.wait_for_function(KERNEL_CHOSEN, timeout=RENDER_S * 1000)
    t0 = time.time()
    page.evaluate(RUN)  # returns when the last cell has run, or one failed
    while (state := page.evaluate(PROGRESS)) == 'running' and time.time() - t0 < RUN_S: page.wait_for_timeout(500)
    page.wait_for_timeout(1000)  # the last widgets and players draw
    return state, time.time() - t0


@pytest.mark.parametrize('name', RUN_ALL)
def test_notebook_after_run_all(lab, name):
    base, page = lab
    if not page.url.startswith(f'{base}/lab'): open_notebook(base, page, ROOT / 'nbs' / 'index.ipynb')
    state, seconds = run_all(base, page, name)
    page.screenshot(path=str(ARTIFACTS / f'{name}-run-all.png'))
    for _ in range(20):  # a widget may still be loading
        widgets = page.evaluate(WIDGETS)
        if widgets['drawn'] == widgets['n'] and not widgets['broken']: break
        page.wait_for_timeout(500)
    seen = page.evaluate(MEASURE)
    if name == '70_explorer': explore_in_the_browser(page)
    stop_kernels(base)
    assert state == 'done', f"{name}: Run All did not finish in {RUN_S} s: {state}"
    assert not seen['dialogs'], f"{name} opened a dialog: {seen['dialogs']}"
    assert not widgets['broken'], f"{name}: widgets not drawn: {widgets['broken']}"
    assert widgets['drawn'] == widgets['n'] > 0, f"{name}: {widgets['drawn']} of {widgets['n']} widgets drawn as controls"
    assert seen['durations'] and all(d > 0 for d in seen['durations']), f"{name}: players without sound ({seen['durations']})"
    print(f"{name}: Run All in {seconds:.0f} s, {widgets['n']} widgets drawn, {len(seen['durations'])} players with sound")


EXPLORER_STATE = """root => {
  const hash = s => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 0);  // a player's sound, short enough to print
  return {
    options: root.querySelectorAll('select option').length,
    scores: root.querySelectorAll('.widget-output [data-mime-type="image/svg+xml"] img, .widget-output svg').length,
    sounds: [...root.querySelectorAll('.widget-output audio')].map(a => (a.getAttribute('src') || '').slice(0, 22) + hash(a.getAttribute('src') || '')),
    tables: root.querySelectorAll('.widget-output table').length,
    status: [...root.querySelectorAll('.widget-label')].map(l => l.innerText.trim()).filter(t => t).join(' | '),
  };
}"""


def explore_in_the_browser(page):
    "Press Generate twice (the same take), switch the harmony rule off and press it again (another take)."
    root = page.locator('.widget-vbox', has=page.locator('button', has_text='Generate')).first
    root.scroll_into_view_if_needed()
    def generate():
        before = root.evaluate(EXPLORER_STATE)['options']
        root.locator('button', has_text='Generate').click()
        try: page.wait_for_function('([root, n]) => root.querySelectorAll("select option").length > n',
                                    arg=[root.element_handle(), before], timeout=RENDER_S * 1000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / '70_explorer-no-take.png'))
            raise AssertionError(f"explorer: Generate made no take: {root.evaluate(EXPLORER_STATE)['status']}") from None
        page.wait_for_timeout(500)
        return root.evaluate(EXPLORER_STATE)
    first = generate()
    root.screenshot(path=str(ARTIFACTS / 'explorer-widget.png'))
    again = generate()
    root.locator('.widget-checkbox', has_text='harmony').locator('input').click()
    other = generate()
    page.screenshot(path=str(ARTIFACTS / '70_explorer-generate.png'))
    assert (first['scores'], first['tables'], len(first['sounds'])) == (1, 1, 1), f"explorer: take not shown: {first}"
    assert first['sounds'][0].startswith('data:audio/wav;base64,'), first['sounds']
    assert again['sounds'] == first['sounds'], f"explorer: the same settings gave another take: {first} {again}"
    assert other['sounds'] != first['sounds'], f"explorer: switching the harmony rule off did not change the take: {other}"
    assert 'harmony' in root.locator('select').last.evaluate('s => s.options[s.selectedIndex].text'), "explorer: the history does not say which rule was off"
