"""Messages the console's screens send to the app.

Screens say what the operator chose; the app decides where that leads, so
that navigation lives in one place (``tui.app``).
"""

from __future__ import annotations

from textual.message import Message


class SiteChosen(Message):
    """The operator pressed Enter on a site."""

    def __init__(self, site_id: str) -> None:
        self.site_id = site_id
        super().__init__()


class CameraChosen(Message):
    """The operator pressed Enter on a camera of a site."""

    def __init__(self, site_id: str, camera_key: str) -> None:
        self.site_id = site_id
        self.camera_key = camera_key
        super().__init__()


class LinkChanged(Message):
    """The controller went away (``healthy`` False) or came back (True)."""

    def __init__(self, healthy: bool, text: str) -> None:
        self.healthy = healthy
        self.text = text
        super().__init__()
