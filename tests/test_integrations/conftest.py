"""Offline fixtures: an empty weights dir and an empty Hugging Face hub cache in offline mode."""
import pytest


@pytest.fixture()
def offline_hub(tmp_path, monkeypatch):
    """``HF_HUB_OFFLINE=1`` and a fresh hub cache under tmp_path; returns the cache folder.

    huggingface_hub reads these at import, so its ``constants`` are patched as well."""
    from huggingface_hub import constants
    cache = tmp_path / 'hf_hub'
    cache.mkdir()
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('HF_HUB_CACHE', str(cache))
    monkeypatch.setattr(constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setattr(constants, 'HF_HUB_CACHE', str(cache))
    monkeypatch.setenv('EOSSL_WEIGHTS_DIR', str(tmp_path / 'eossl_weights'))
    return cache
