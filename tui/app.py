"""The operator console: ``camwarden tui --api URL --token-file F``.

A Textual app over the controller's HTTP API (``tui.client``), never its
database or code. Fleet -> Enter -> site -> Enter -> camera; Escape goes
back; ``a`` alerts, ``p`` policies, ``g`` the paperwork (register, access
requests, self-inspection checklist), ``?`` help, ``r`` refreshes, ``q``
quits; the command palette (ctrl+p) names every action.

Live: the app follows the controller's event stream (``tui.stream``) and
hands each change to every open screen, which updates the rows it touches
in place. While the stream is up there is no periodic reload; while it is
down the current screen reloads every ``refresh_seconds``. A new critical
finding flashes a notification wherever the operator is. When the
controller goes away the data on screen stays, and the status line says how
old it is.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterable
from datetime import tzinfo
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from schemas.api import ChangeEvent
from schemas.errors import ConfigError
from tui.alerts import AlertFeed, is_alarming
from tui.client import ApiClient, check_base_url
from tui.context import Clock, ConsoleContext, system_clock
from tui.link import Link
from tui.messages import CameraChosen, LinkChanged, SiteChosen
from tui.screens.alerts import AlertsScreen
from tui.screens.base import DataScreen
from tui.screens.camera import CameraScreen
from tui.screens.fleet import FleetScreen
from tui.screens.help import HelpScreen
from tui.screens.paperwork import PaperworkScreen
from tui.screens.policy import PolicyScreen
from tui.screens.site import SiteScreen
from tui.stream import EventStream

DEFAULT_REFRESH_SECONDS = 5.0


class CamwardenApp(App[int]):
    TITLE = "camwarden"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "fleet", "Fleet"),
        Binding("a", "alerts", "Alerts"),
        Binding("p", "policies", "Policies"),
        Binding("g", "paperwork", "Register"),
        Binding("r", "reload", "Refresh"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        # Ctrl-C quits, as an operator expects of a terminal program (Textual
        # would otherwise only hint at ctrl+q); priority so no widget eats it.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        api_url: str,
        *,
        client: ApiClient | None = None,
        token: str | None = None,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Clock = system_clock,
        display_tz: tzinfo | None = None,
        live: bool = True,
        stream_backoff: float = 1.0,
        settle_start_up: bool = False,
    ) -> None:
        """``refresh_seconds`` 0 turns periodic refresh off (``r`` still
        works). ``clock`` returns aware UTC "now" (tests freeze it);
        ``display_tz`` None shows the machine's local time. ``client``, when
        given, must be for ``api_url`` (and carry the token); the app closes
        it on exit either way. ``live`` False does not follow the event
        stream (periodic refresh only); ``stream_backoff`` is the first
        reconnect delay in seconds. ``settle_start_up``: the app has the
        process to itself (``camwarden tui``): the fleet's first load
        settles the heap (``tui.heap``; not for an app among others, such
        as a test's: what it leaves would never be collected). A bad URL,
        token or interval raises ConfigError naming it."""
        super().__init__()
        if refresh_seconds < 0:
            raise ConfigError(f"refresh interval must be >= 0 seconds, got {refresh_seconds!r}")
        api = client or ApiClient(api_url, token=token)
        if api.base_url != check_base_url(api_url):
            raise ConfigError(f"the API client is for {api.base_url}, not {api_url}")
        self.refresh_seconds = refresh_seconds
        self.settle_start_up = settle_start_up
        self.ctx = ConsoleContext(
            api=api,
            link=Link(
                url=api.base_url, retry_seconds=refresh_seconds, live=False if live else None
            ),
            clock=clock,
            display_tz=display_tz,
        )
        self.alerts = AlertFeed()
        self.stream = (
            EventStream(api, self.on_change, self.on_stream_state, backoff=stream_backoff,
                        backoff_max=max(stream_backoff, 30.0))
            if live else None
        )
        self.sub_title = api.base_url

    def on_mount(self) -> None:
        self.push_screen(FleetScreen(self.ctx, start_up=self.settle_start_up))
        if self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self.tick)
        if self.stream is not None:
            self.run_worker(self.stream.run(), group="stream", exit_on_error=False)

    async def on_unmount(self) -> None:
        await self.ctx.api.close()

    # --- live -------------------------------------------------------------

    def tick(self) -> None:
        """The refresh interval: reload while the stream is down; while it is
        up, only the age on the status line moves."""
        if self.ctx.link.live:
            self._screens_show_status()
        else:
            self.action_reload()

    def on_change(self, change: ChangeEvent) -> None:
        """One change from the stream (on the app's loop): the feed, the
        alarm, then every open screen (a hidden one stays current too)."""
        self.ctx.link.succeeded(self.ctx.now())
        alert = self.alerts.add(change)
        if alert is not None and alert.finding is not None and is_alarming(alert):
            finding = alert.finding
            self.notify(
                f"{finding.title}\n{finding.site_id} / {finding.camera_key}",
                title="✖ CRITICAL finding", severity="error", timeout=15,
            )
        for screen in self.screen_stack:
            if isinstance(screen, DataScreen) and screen.is_mounted:
                screen.apply_change(change)
        current = self.screen
        if isinstance(current, DataScreen) and current.is_mounted:
            # Whatever the change, a wait_until on the screen in view looks again.
            current.run_worker(current.progressed(), exit_on_error=False)
        self._screens_show_status()

    def on_stream_state(self, up: bool, text: str) -> None:
        link = self.ctx.link
        was = link.live
        link.live = up
        if up and not was:
            # Back after a gap: catch up the screen in view once (the stream
            # replays from Last-Event-ID, but a first connect has no past).
            self.action_reload()
        elif not up and was:
            self.log.warning(f"event stream down: {text}")
        self._screens_show_status()

    def _screens_show_status(self) -> None:
        screen = self.screen
        if isinstance(screen, DataScreen) and screen.is_mounted:
            screen.show_status()

    # --- navigation and actions ------------------------------------------

    def action_reload(self) -> None:
        screen = self.screen
        if isinstance(screen, DataScreen):
            screen.request_reload()

    def action_fleet(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.action_reload()

    def action_alerts(self) -> None:
        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen(self.ctx, self.alerts))

    def action_policies(self) -> None:
        if not isinstance(self.screen, PolicyScreen):
            self.push_screen(PolicyScreen(self.ctx))

    def action_paperwork(self) -> None:
        if not isinstance(self.screen, PaperworkScreen):
            self.push_screen(PaperworkScreen(self.ctx))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand("Fleet", "every site, overall compliance (f)", self.action_fleet)
        yield SystemCommand("Alerts", "the live feed of findings and agents (a)",
                            self.action_alerts)
        yield SystemCommand("Policies", "versions per site and which agents run them (p)",
                            self.action_policies)
        yield SystemCommand("Register", "register, access requests, self-inspection (g)",
                            self.action_paperwork)
        yield SystemCommand("Refresh", "load the screen again now (r)", self.action_reload)
        yield SystemCommand("Help", "every key of every screen (?)", self.action_help)
        if isinstance(screen, FleetScreen):
            yield SystemCommand("Filter sites", "by name, id, critical, offline (/)",
                                screen.action_focus_filter)
            yield SystemCommand("Sort sites", "next order: attention, name, compliance… (s)",
                                screen.action_next_sort)
        if isinstance(screen, SiteScreen):
            yield SystemCommand("Filter cameras", "by state:…, rule:… or any word (/)",
                                screen.action_focus_filter)
        if isinstance(screen, PaperworkScreen):
            yield SystemCommand("Next organisation", "its register, requests, checklist (o)",
                                screen.action_next_organisation)
        if isinstance(screen, CameraScreen):
            yield SystemCommand("Acknowledge finding", "with a note (k)",
                                screen.action_acknowledge)
        yield from super().get_system_commands(screen)

    def on_site_chosen(self, message: SiteChosen) -> None:
        self.push_screen(SiteScreen(self.ctx, message.site_id))

    def on_camera_chosen(self, message: CameraChosen) -> None:
        self.push_screen(CameraScreen(self.ctx, message.site_id, message.camera_key))

    def on_link_changed(self, message: LinkChanged) -> None:
        if message.healthy:
            self.notify("controller reachable again", title="camwarden")
        else:
            self.notify(message.text, title="camwarden", severity="error")


def read_token(path: Path) -> str:
    """The first line of ``path``, stripped; ConfigError naming the file."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"--token-file {path}: {exc.strerror or exc}") from exc
    if not token or any(c.isspace() for c in token):
        raise ConfigError(f"--token-file {path}: expected one token on one line")
    return token


def settle_heap() -> None:
    """Call once at start-up, before the first frame: collect, then move
    what start-up made (modules, classes, Textual's and Rich's tables) out
    of the garbage collector's reach (``gc.freeze``; it lives as long as
    the process). Loading thousands of rows triggers full collections;
    without this each walks the whole interpreter, 40-130 ms on two shared
    cores, and the operator waits on it at random (a site's first page in
    30 ms one time, 250 ms the next). The controller does the same."""
    gc.collect()
    gc.freeze()


def run(args: argparse.Namespace) -> int:
    """``camwarden tui --api URL [--token-file F] [--refresh S]``: 0 on a
    normal quit, 2 on a bad URL, token file or interval."""
    try:
        refresh = getattr(args, "refresh", DEFAULT_REFRESH_SECONDS)
        token_file = getattr(args, "token_file", None)
        token = read_token(token_file) if token_file is not None else None
        app = CamwardenApp(args.api, token=token, refresh_seconds=refresh, settle_start_up=True)
    except ConfigError as exc:
        print(f"camwarden tui: {exc}", file=sys.stderr)
        return 2
    settle_heap()
    app.run()
    return 0
