"""Stub, filled in next."""

from simulator.services import Handler
from simulator.soap import TPTZ

NAMESPACE = TPTZ
OPERATIONS: dict[str, Handler] = {}
