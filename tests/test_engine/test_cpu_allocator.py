"""retain_freed_memory: glibc keeps freed tensor memory; the user's MALLOC_* variables win."""
from eossl.engine.cpu_allocator import retain_freed_memory


def test_a_user_setting_wins(monkeypatch):
    monkeypatch.setenv('MALLOC_TRIM_THRESHOLD_', '131072')
    assert retain_freed_memory() is False


def test_applied_on_glibc(monkeypatch):  # the CI image and this machine run glibc
    for name in ('MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'):
        monkeypatch.delenv(name, raising=False)
    assert retain_freed_memory() is True
