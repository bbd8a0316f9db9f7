"""A simulated Juniper Mist cloud for tests, demos and benchmarks (no network needed).

State (`org.py`, `traffic.py`) is kept apart from HTTP (`api.py`), which two transports serve:
a requests adapter (`transport.py`, mount it on mistapi's session) and a standalone threaded
server (`python -m mist_simulator`).
"""

from mist_hosts import MIST_HOSTS

from .simulator import MistSimulator
from .transport import SimulatorAdapter

__all__ = ["MIST_HOSTS", "MistSimulator", "SimulatorAdapter"]
