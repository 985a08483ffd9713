"""One progress bar for the scene tools and training epochs: tqdm when it is installed, else
mmengine's."""
import sys
from typing import Protocol


class Bar(Protocol):
    """What the scene tools call on a progress bar."""

    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class _MMEngineBar:
    """mmengine's ``ProgressBar`` (one ``update`` per item) behind the tqdm calls used here."""

    def __init__(self, total: int) -> None:
        from mmengine.utils import ProgressBar
        self.bar = ProgressBar(total, file=sys.stderr)

    def update(self, n: int = 1) -> None:
        for _ in range(n):
            self.bar.update()

    def close(self) -> None:
        sys.stderr.write('\n')


def progress_bar(total: int, enabled: bool = True, desc: str = 'tiles',
                 unit: str = 'tile') -> Bar:
    """A bar over ``total`` items on stderr (a no-op one when ``enabled`` is False)."""
    if not enabled:
        return _Silent()
    try:
        from tqdm import tqdm
    except ImportError:
        return _MMEngineBar(total)
    return tqdm(total=total, desc=desc, unit=unit)
