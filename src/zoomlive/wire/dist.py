"""The distribution itself: its one version string and how to add an optional extra.

The version is ``pyproject.toml``'s, read from the installed metadata, so the CLI,
the OpenAPI document and the docs never carry a copy. Every layer names a missing
extra in the same words, and this module imports nothing, so it sits with the wire
format that every other layer may import. zoomlive is not published on PyPI yet, so a
hint never suggests a bare ``pip install zoomlive[...]``: it names the two installs
that work, a clone's ``.venv`` and a wheel built with ``uv build``.
"""

from __future__ import annotations

NOT_PUBLISHED = "zoomlive is not on PyPI yet"


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("zoomlive")
    except PackageNotFoundError:  # a source tree on sys.path, not installed
        return "0+unknown"


def install_hint(extra: str) -> str:
    """How to add ``extra`` to an install, in one line."""
    return (
        f"to add zoomlive[{extra}] ({NOT_PUBLISHED}): in a clone, "
        f".venv/bin/uv sync --frozen --inexact --no-default-groups --extra {extra}; "
        f"from a wheel built by uv build, "
        f"pip install 'dist/zoomlive-{version()}-py3-none-any.whl[{extra}]'"
    )
