"""shared/bus/topology.py, loaded from its file: the generator needs only PyYAML, not the portal's environment
(importing the shared.bus package would pull in aio-pika and the rest). topology.py imports the standard
library alone, and a unit test keeps it so."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TOPOLOGY_FILE = Path(__file__).resolve().parents[2] / "shared" / "bus" / "topology.py"


def load() -> ModuleType:
    name = "gov_portal_bus_topology"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TOPOLOGY_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is being made
    spec.loader.exec_module(module)
    return module


bus = load()
