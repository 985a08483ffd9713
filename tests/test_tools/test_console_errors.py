"""Every ``eossl-*`` command: a user error is one line ``eossl-<cmd>: error: …``, exit 2, no
traceback; ``--debug`` / ``EOSSL_DEBUG=1`` shows the traceback."""
import importlib
import logging
import sys

import pytest

from eossl.cli import console

# the console scripts the wheel installs (generated from the modules of eossl/cli)
SCRIPTS = dict(line.split(' = ') for line in console.console_scripts())
MISSING = '/nonexistent/missing_recipe.py'
CKPT = '/nonexistent/missing.pth'
# arguments that name a file that does not exist (or a folder that cannot be made)
ARGS = {
    'eossl-train': [MISSING], 'eossl-test': [MISSING, CKPT], 'eossl-dist-train': [MISSING, '1'],
    'eossl-knn-probe': [MISSING], 'eossl-print-config': [MISSING],
    'eossl-visualize-mpmae': [MISSING, 'none'],
    'eossl-bigearthnet-example': ['{a_file}/nonexistent/out'],
    'eossl-compute-band-stats': [MISSING], 'eossl-pack-shards': [MISSING, '/nonexistent/out'],
    'eossl-extract-backbone': [CKPT, '/nonexistent/b.pth'],
    'eossl-softcon-to-eossl': [CKPT, '/nonexistent/b.pth'],
    'eossl-to-softcon': [CKPT, '/nonexistent/b.pth'],
    'eossl-mmearth-to-eossl': [CKPT, '/nonexistent/b.pth'],
    'eossl-predict-scene': [MISSING, 'none', '/nonexistent/scene.tif', '/nonexistent/o.tif'],
    'eossl-parity-references': ['--pera', '/nonexistent/repo'],
    'eossl-pca-features': [MISSING, 'none', '/nonexistent/scene.tif'],
    'eossl-plot-curves': ['/nonexistent/work_dir'],
    'eossl-visualize-contrastive': [MISSING, 'none'], 'eossl-visualize-pera': [MISSING],
    'eossl-benchmark': ['--encoder', '/nonexistent/encoder.py', '--suite', '/nonexistent/s.py'],
    'eossl-export': [MISSING, CKPT, '--format', 'onnx'],
    'eossl-list-weights': ['--register', 'mine', CKPT, '--config', MISSING],
    'eossl-fit-wavelength-stem': [MISSING, CKPT, '/nonexistent/w.pth'],
}
# a command may declare its case itself: USER_ERROR_ARGS in its module (a new command then needs
# no edit here)
ARGS.update({console.command_name(module): list(args) for module in console.command_modules()
             if (args := getattr(importlib.import_module(f'eossl.cli.{module}'),
                                 'USER_ERROR_ARGS', None)) is not None})
# commands without a file argument: their only input is a search word, and no match is an answer
NO_USER_ERROR = {'eossl-list-recipes': ['no-such-recipe-word']}


@pytest.fixture(autouse=True)
def _log_to_this_tests_stdout():
    """mmengine's loggers keep the stdout of the test that created them (closed by now)."""
    from mmengine.logging import MMLogger
    for logger in MMLogger._instance_dict.values():
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.stream = sys.stdout  # setStream would flush the closed one


def _entry(command: str):
    return getattr(console, SCRIPTS[command].split(':')[1])


def test_every_command_has_a_user_error_case():
    assert set(ARGS) | set(NO_USER_ERROR) == set(SCRIPTS)
    assert not set(ARGS) & set(NO_USER_ERROR)


@pytest.mark.parametrize('command', sorted(NO_USER_ERROR))
def test_a_search_without_match_says_so_and_succeeds(command, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [command, *NO_USER_ERROR[command]])
    assert _entry(command)() == 0
    captured = capsys.readouterr()
    assert 'no recipe matches' in captured.out and 'Traceback' not in captured.err


@pytest.mark.parametrize('command', sorted(ARGS))
def test_user_error_is_one_line_with_exit_code_2(command, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv('EOSSL_DEBUG', raising=False)
    a_file = tmp_path / 'a_file'
    a_file.touch()  # a folder cannot be made under it
    monkeypatch.setattr(sys, 'argv', [command, *(a.format(a_file=a_file) for a in ARGS[command])])
    assert _entry(command)() == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith(f'{command}: error: ')]
    assert len(lines) == 1, err
    assert '/nonexistent/' in lines[0], 'the message names the file'
    assert 'Traceback' not in err


def test_debug_flag_and_env_show_the_traceback(monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['eossl-print-config', MISSING, '--debug'])
    with pytest.raises(FileNotFoundError):
        console.print_config()
    monkeypatch.setenv('EOSSL_DEBUG', '1')
    monkeypatch.setattr(sys, 'argv', ['eossl-print-config', MISSING])
    with pytest.raises(FileNotFoundError):
        console.print_config()


def test_a_bug_keeps_its_traceback(monkeypatch):
    monkeypatch.delenv('EOSSL_DEBUG', raising=False)
    monkeypatch.setattr(sys, 'argv', ['eossl-print-config'])

    def broken():
        raise RuntimeError('internal')
    monkeypatch.setattr('eossl.cli.print_config.main', broken)
    with pytest.raises(RuntimeError, match='internal'):
        console.print_config()
