from __future__ import annotations

import pytest

from tests.peers.scim import scim_server as scim_server
from tests.peers.scim import scim_tenant as scim_tenant

__all__ = ["scim_server", "scim_tenant"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``slow`` tests (the soak) stay outside the default run, as the marker says; -m slow selects them."""
    if config.getoption("markexpr"):
        return
    skip = pytest.mark.skip(reason="slow: select with -m slow")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
