"""Stub, filled in next."""

from simulator.services import Handler
from simulator.soap import TRC, TSE

RECORDING_NAMESPACE = TRC
SEARCH_NAMESPACE = TSE
RECORDING_OPERATIONS: dict[str, Handler] = {}
SEARCH_OPERATIONS: dict[str, Handler] = {}
