"""eossl-pack-shards (eossl-pack-shards): parallel packing into litdata
chunks, resuming, verify mode."""
import importlib.util
import json
import os

import pytest

from eossl.testing import make_fake_ssl4eo_s12

pack_shards = importlib.import_module('eossl.cli.pack_shards')


@pytest.fixture
def recipe(tmp_path):
    """A recipe-like config whose training dataset is a fake SSL4EO-S12 (6 location-seasons)."""
    make_fake_ssl4eo_s12(tmp_path / 'ssl4eo', num_locations=3, seasons=2, size=12,
                         modalities=('s2c',))
    path = tmp_path / 'recipe.py'
    path.write_text(f"train_dataloader = dict(dataset=dict(type='SSL4EOS12', data_root="
                    f"'{tmp_path / 'ssl4eo'}', modality='s2c', pipeline=[]))\n")
    return str(path)


def shard_files(out) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob('chunk-*'))}


def index(out) -> dict:
    return json.loads((out / 'index.json').read_text())


def test_pack_in_parallel_then_resume_only_the_missing_shard(tmp_path, recipe):
    out = tmp_path / 'shards'
    args = [recipe, str(out), '--samples-per-shard', '2', '--workers', '2',
            '--cfg-options', 'train_dataloader.dataset.seasons=all']
    assert pack_shards.main(args) == 0
    assert index(out)['eossl']['num_samples'] == 6 and len(index(out)['chunks']) == 3
    first = shard_files(out)
    kept = out / 'chunk-0-0.bin'
    os.utime(kept, (1, 1))  # an untouched chunk keeps this mtime
    (out / '.parts' / '1.json').unlink()  # as if killed while writing chunk 1
    (out / 'index.json').unlink()
    assert pack_shards.main(args[:-4] + args[-2:]) == 0  # serial rerun
    assert kept.stat().st_mtime == 1  # finished chunks are skipped ...
    assert shard_files(out) == first  # ... and the rewritten one is byte-identical
    assert pack_shards.main([recipe, str(out), '--verify', '--cfg-options',
                             'train_dataloader.dataset.seasons=all']) == 0


def test_verify_fails_on_damage_and_on_a_count_mismatch(tmp_path, recipe, capsys):
    out = tmp_path / 'shards'
    pack_shards.main([recipe, str(out), '--cfg-options', 'train_dataloader.dataset.seasons=all'])
    assert pack_shards.main(['-', str(out), '--verify']) == 0
    assert pack_shards.main([recipe, str(out), '--verify']) == 1  # 3 locations != 6 packed
    assert 'the dataset has 3' in capsys.readouterr().err
    chunk = out / 'chunk-0-0.bin'
    chunk.write_bytes(chunk.read_bytes()[:-2000])
    assert pack_shards.main(['-', str(out), '--verify', '--workers', '2']) == 1
    assert 'chunk-0-0.bin: ' in capsys.readouterr().err


def test_another_packing_in_the_same_folder_is_refused(tmp_path, recipe):
    out = tmp_path / 'shards'
    options = ['--cfg-options', 'train_dataloader.dataset.seasons=all']
    pack_shards.main([recipe, str(out), '--samples-per-shard', '4', *options])
    with pytest.raises(ValueError, match='belongs to another packing'):
        pack_shards.main([recipe, str(out), '--samples-per-shard', '2', *options])
    with pytest.raises(KeyError, match='no dataset config'):
        pack_shards.main([recipe, str(out), '--dataset-key', 'val_dataloader.dataset'])


def test_compact_layout_runs_the_recipes_loader_and_refuses_a_pipeline_without_one(tmp_path):
    make_fake_ssl4eo_s12(tmp_path / 'ssl4eo', num_locations=2, seasons=1, size=12,
                         modalities=('s2c',))
    loader = "dict(type='LoadMultiBandImage', modality='s2', bands=['B2', 'B5'], target_size=12)"
    path = tmp_path / 'recipe.py'
    path.write_text(f"train_dataloader = dict(dataset=dict(type='SSL4EOS12', data_root="
                    f"'{tmp_path / 'ssl4eo'}', modality='s2c', seasons='all', pipeline=["
                    f"{loader}, dict(type='PackEOInputs')]))\n")
    out = tmp_path / 'compact'
    assert pack_shards.main([str(path), str(out), '--layout', 'compact', '--workers', '2',
                             '--samples-per-shard', '1']) == 0
    written = index(out)['eossl']
    assert written['layout'] == 'compact' and [s['type'] for s in written['loaders']] == \
        ['LoadMultiBandImage']
    assert pack_shards.main([str(path), str(out), '--verify']) == 0
    with pytest.raises(ValueError, match='belongs to another packing'):  # files over compact
        pack_shards.main([str(path), str(out), '--samples-per-shard', '1'])
    path.write_text(path.read_text().replace(f'{loader}, ', ''))
    with pytest.raises(ValueError, match='must start with one of'):
        pack_shards.main([str(path), str(tmp_path / 'other'), '--layout', 'compact'])
