"""The operator console: ``camwarden tui --api URL``.

A Textual app over the controller's HTTP API (``tui.client``), never its
database or code. Fleet -> Enter -> site -> Enter -> camera; Escape goes
back; ``r`` refreshes, ``q`` quits. The current screen reloads every
``refresh_seconds`` and updates its tables in place. When the controller
goes away the data on screen stays, and the status line says how old it is.
"""

from __future__ import annotations

import argparse
import sys
from datetime import tzinfo
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from schemas.errors import ConfigError
from tui.client import ApiClient, check_base_url
from tui.context import Clock, ConsoleContext, system_clock
from tui.link import Link
from tui.messages import CameraChosen, LinkChanged, SiteChosen
from tui.screens.base import DataScreen
from tui.screens.camera import CameraScreen
from tui.screens.fleet import FleetScreen
from tui.screens.site import SiteScreen

DEFAULT_REFRESH_SECONDS = 5.0


class CamwardenApp(App[int]):
    TITLE = "camwarden"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Refresh"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        api_url: str,
        *,
        client: ApiClient | None = None,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Clock = system_clock,
        display_tz: tzinfo | None = None,
    ) -> None:
        """``refresh_seconds`` 0 turns periodic refresh off (``r`` still
        works). ``clock`` returns aware UTC "now" (tests freeze it);
        ``display_tz`` None shows the machine's local time. ``client``, when
        given, must be for ``api_url``; the app closes it on exit either way.
        A bad URL or refresh interval raises ConfigError naming it."""
        super().__init__()
        if refresh_seconds < 0:
            raise ConfigError(f"refresh interval must be >= 0 seconds, got {refresh_seconds!r}")
        api = client or ApiClient(api_url)
        if api.base_url != check_base_url(api_url):
            raise ConfigError(f"the API client is for {api.base_url}, not {api_url}")
        self.refresh_seconds = refresh_seconds
        self.ctx = ConsoleContext(
            api=api,
            link=Link(url=api.base_url, retry_seconds=refresh_seconds),
            clock=clock,
            display_tz=display_tz,
        )
        self.sub_title = api.base_url

    def on_mount(self) -> None:
        self.push_screen(FleetScreen(self.ctx))
        if self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self.action_reload)

    async def on_unmount(self) -> None:
        await self.ctx.api.close()

    def action_reload(self) -> None:
        screen = self.screen
        if isinstance(screen, DataScreen):
            screen.request_reload()

    def on_site_chosen(self, message: SiteChosen) -> None:
        self.push_screen(SiteScreen(self.ctx, message.site_id))

    def on_camera_chosen(self, message: CameraChosen) -> None:
        self.push_screen(CameraScreen(self.ctx, message.site_id, message.camera_key))

    def on_link_changed(self, message: LinkChanged) -> None:
        if message.healthy:
            self.notify("controller reachable again", title="camwarden")
        else:
            self.notify(message.text, title="camwarden", severity="error")


def run(args: argparse.Namespace) -> int:
    """``camwarden tui --api URL``: 0 on a normal quit, 2 on a bad URL."""
    try:
        refresh = getattr(args, "refresh", DEFAULT_REFRESH_SECONDS)
        app = CamwardenApp(args.api, refresh_seconds=refresh)
    except ConfigError as exc:
        print(f"camwarden tui: {exc}", file=sys.stderr)
        return 2
    app.run()
    return 0
