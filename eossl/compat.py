"""Placeholder: written by the compat helper."""


def install() -> None:
    """Install compatibility shims."""
