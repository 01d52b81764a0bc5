"""Hand-written setup for musiclab (nbdev 2 style, without pkg_resources)."""
from configparser import ConfigParser
from pathlib import Path
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read(Path(__file__).parent / 'settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

requirements = [
    'torch>=2.1,<3',  # CPU wheel 2.13.0 is what CI installs first; this range admits it
    'numpy>=1.24',
    'music21>=9.1',
    'pretty_midi>=0.2.10',
    'matplotlib>=3.7',
    'seaborn>=0.13',
    'pandas>=1.5',  # tables in the encoding and ablation notebooks (seaborn needs it too)
    'ipywidgets>=8',
    'verovio>=4.0',
    'cairosvg>=2.5',  # a PNG beside each score's SVG, for untrusted notebooks (loads the system's libcairo2)
    'pillow>=9',
    'jupyterlab>=4',
    'ipython>=8',
    'tqdm>=4.60',
    'fastcore>=1.5,<2',
    'tensorboard>=2.10',
]
extras = {
    'audio': ['pyfluidsynth>=1.3'],  # also needs the system libfluidsynth (apt: libfluidsynth3)
    'tokens': ['miditok>=3.0'],  # only for the MidiTok comparison in nbs/50_tokens (skipped when missing)
    'dev': ['nbdev==2.4.14', 'fastcore<2', 'execnb<0.2', 'ghapi<2', 'pytest>=7', 'ipykernel>=6',
            'ruff>=0.4',  # .ci/run: `ruff check --select F401 musiclab/` (no unused imports)
            'playwright>=1.40'],  # tests/test_browser.py drives Debian's chromium (never `playwright install`)
}

long_description = (Path(__file__).parent / 'README.md').read_text(encoding='utf-8')

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=long_description,
    long_description_content_type='text/markdown',
    author=cfg['author'],
    author_email=cfg['author_email'],
    license='Apache-2.0',
    keywords=cfg['keywords'].split(),
    python_requires='>=' + cfg['min_python'],
    packages=setuptools.find_packages(include=['musiclab', 'musiclab.*']),
    include_package_data=True,
    install_requires=requirements,
    extras_require=extras,
    entry_points={'console_scripts': ['musiclab=musiclab.cli:main'],
                  'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    zip_safe=False,
)
