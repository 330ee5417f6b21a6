"""Stub, filled in next."""

from simulator.services import Handler
from simulator.soap import TRT

NAMESPACE = TRT
OPERATIONS: dict[str, Handler] = {}
