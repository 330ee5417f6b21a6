"""The agent's ONVIF client: the only place that speaks SOAP (zeep, lxml).

It returns our own models (``schemas.facts``), never zeep objects, and
absorbs vendor quirks once. Start here::

    async with OnvifClient(timeout=5.0) as onvif:
        collected = await onvif.collect("127.0.0.1:8080", Credentials("admin", "pw"))
"""

from agent.onvif.client import Collected, Credentials, OnvifClient

__all__ = ["Collected", "Credentials", "OnvifClient"]
