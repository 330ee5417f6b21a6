"""camwarden: the command line and the demo that ties the parts together."""

__version__ = "0.1.0"
