"""Where an alert goes: a webhook (JSON POST, signed) or the MQTT alert topic.

A target's ``deliver`` either returns (delivered) or raises
``DeliveryFailed``; ``retry`` says whether trying again may help (a timeout,
a refused connection, 408/429/5xx) or not (another 4xx: the receiver
rejects the alert itself). Retries, backoff and bookkeeping are the
dispatcher's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import Any, Protocol

import aiohttp
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from controller.config import MqttConfig, WebhookConfig, read_password
from schemas.errors import CamwardenError
from schemas.topics import alert_topic

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Camwarden-Signature"
"""``sha256=HEX``: HMAC-SHA256 of the request body with the webhook's secret."""


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class Target(Protocol):
    name: str
    min_severity: str

    async def deliver(self, site_id: str, alert_id: str, body: bytes) -> None: ...

    async def close(self) -> None: ...


def signature(secret: bytes, body: bytes) -> str:
    """The ``X-Camwarden-Signature`` value a receiver recomputes to trust a POST."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookTarget:
    """POST the alert JSON to one URL."""

    def __init__(self, config: WebhookConfig, secret: bytes | None, timeout_s: float) -> None:
        self.name = config.name
        self.min_severity: str = config.min_severity
        self.url = config.url
        self.secret = secret
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))

    async def deliver(self, site_id: str, alert_id: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "X-Camwarden-Alert-Id": alert_id}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        try:
            async with self._session.post(self.url, data=body, headers=headers) as response:
                if 200 <= response.status < 300:
                    return
                retry = response.status in (408, 429) or response.status >= 500
                raise DeliveryFailed(f"{self.url} answered {response.status}", retry=retry)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"{self.url}: {exc!r}", retry=True) from None

    async def close(self) -> None:
        await self._session.close()


class MqttTarget:
    """Publish the alert on its site's alert topic, QoS 1, with the
    controller's own publisher connection (not the ingest session).
    Delivered means the broker acknowledged it (PUBACK, success code)."""

    name = "mqtt"
    min_severity = "info"

    def __init__(self, config: MqttConfig, timeout_s: float) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[int, asyncio.Future[bool]] = {}
        self._early: dict[int, bool] = {}
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"{config.client_id}-alerts",
            protocol=mqtt.MQTTv5,
        )
        if config.username is not None:
            self._client.username_pw_set(config.username, read_password(config))
        if config.tls:
            self._client.tls_set(ca_certs=config.ca_file)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_publish = self._on_publish

    async def connect(self) -> None:
        """Start connecting (the network thread retries until the broker is there)."""
        self._loop = asyncio.get_running_loop()
        try:
            self._client.connect_async(
                self.config.host, self.config.port, keepalive=self.config.keepalive_s
            )
        except (OSError, ValueError) as exc:
            raise CamwardenError(
                f"MQTT broker {self.config.host}:{self.config.port}: cannot connect: {exc}"
            ) from None
        self._client.loop_start()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any
    ) -> None:
        # paho's thread: hand over, touch nothing else
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._published, mid, not reason.is_failure)

    def _published(self, mid: int, ok: bool) -> None:
        future = self._waiting.pop(mid, None)
        if future is None:
            self._early[mid] = ok
        elif not future.done():
            future.set_result(ok)

    async def deliver(self, site_id: str, alert_id: str, body: bytes) -> None:
        assert self._loop is not None, "connect() first"
        info = self._client.publish(alert_topic(site_id), body, qos=1)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise DeliveryFailed(f"publish refused: {mqtt.error_string(info.rc)}", retry=True)
        if info.mid in self._early:
            ok = self._early.pop(info.mid)
        else:
            future: asyncio.Future[bool] = self._loop.create_future()
            self._waiting[info.mid] = future
            try:
                ok = await asyncio.wait_for(future, self.timeout_s)
            except TimeoutError:
                self._waiting.pop(info.mid, None)
                raise DeliveryFailed(f"no PUBACK within {self.timeout_s:g} s", retry=True) from None
        if not ok:
            raise DeliveryFailed("the broker refused the alert (PUBACK failure)", retry=True)

    async def close(self) -> None:
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
