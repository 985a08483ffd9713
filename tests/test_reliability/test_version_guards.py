"""Every override of a third-party internal refuses to install on a release it was not written
for, naming the override, the supported range and the installed version."""
import pytest
from mmengine.config import Config

from eossl import supported_versions as versions
from eossl.checkpoints import ResumableCheckpointHook
from eossl.checkpoints.safe_load import install_checkpoint_safety
from eossl.compat.distributed import DeviceAgnosticDDP, init_cpu_process_group
from eossl.compat.fsdp import adapt_fsdp_to_cpu, install_fsdp_resume_fix
from eossl.supported_versions import UnsupportedVersionError


@pytest.fixture
def future(monkeypatch):
    """Pretend every package is at a release far beyond the guarded ranges."""
    monkeypatch.delenv(versions.SKIP_ENV, raising=False)
    monkeypatch.setattr(versions, 'installed_version', lambda package: '99.0.0')


def test_installed_releases_pass_every_guard():
    for package, spec in (('mmengine', versions.MMENGINE),
                          ('torch', versions.TORCH)):
        versions.require('x', package, spec)


@pytest.mark.parametrize('install, override', [
    (install_checkpoint_safety, 'mmengine CheckpointLoader local-file loader'),
    (lambda: ResumableCheckpointHook(interval=1),
     r'mmengine CheckpointHook\._save_checkpoint_with_step'),
    (lambda: DeviceAgnosticDDP(module=None), r'mmengine Runner\.wrap_model device_ids'),
    (lambda: init_cpu_process_group('pytorch'), 'mmengine CPU process group'),
    (lambda: adapt_fsdp_to_cpu(Config(dict(strategy=dict(type='FSDPStrategy')))),
     'mmengine FSDPStrategy device_id on CPU'),
], ids=['local_loader', 'checkpoint_hook', 'ddp_wrapper', 'process_group', 'fsdp_cpu'])
def test_each_override_names_itself_outside_its_versions(future, install, override):
    with pytest.raises(UnsupportedVersionError,
                       match=rf'eossl override "{override}.*" was written for mmengine>=0\.10\.0,'
                             r'<0\.11, but mmengine 99\.0\.0 is installed'):
        install()


def test_fsdp_resume_fix_is_guarded(future, monkeypatch):
    from mmengine._strategy import FSDPStrategy
    monkeypatch.setattr(FSDPStrategy, 'load_optim_state_dict', lambda *a: None)  # not patched
    with pytest.raises(UnsupportedVersionError, match=r'FSDPStrategy\.load_optim_state_dict'):
        install_fsdp_resume_fix()


def test_the_guards_can_be_skipped_after_checking(future, monkeypatch):
    monkeypatch.setenv(versions.SKIP_ENV, '1')
    install_checkpoint_safety()
