"""The camera screen's header: what this camera is and how it stands."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from schemas.api import CameraView, SiteView
from tui.format import age, counts_text, local_time, state_text


def camera_card_text(
    camera: CameraView, site: SiteView | None, now: datetime, tz: tzinfo | None
) -> Text:
    """Name, id and state; place; when last seen; which site and policy."""
    text = Text()
    text.append(camera.name or camera.key, style="bold")
    if camera.camera_id:
        text.append(f" ({camera.camera_id}) ")
    else:
        text.append(" (a device the policy does not declare) ")
    text.append_text(state_text(camera.state))
    text.append(" · open ")
    text.append_text(counts_text(camera.findings_open))
    text.append("\n")
    place = " — ".join(part for part in (camera.location, camera.coverage) if part)
    text.append(place or "location not declared")
    if camera.last_seen is not None:
        text.append(
            f" · last seen {local_time(camera.last_seen, tz)} ({age(camera.last_seen, now)} ago)"
        )
    else:
        text.append(" · never seen")
    if site is not None:
        text.append(
            f"\nsite {site.name} ({site.site_id}) · policy {site.policy_id} {site.policy_version}",
            style="dim",
        )
    return text


class CameraCard(Static):
    DEFAULT_CSS = """
    CameraCard {
        height: auto;
        padding: 0 1;
        border-bottom: solid $primary;
    }
    """

    def show(
        self, camera: CameraView, site: SiteView | None, now: datetime, tz: tzinfo | None
    ) -> None:
        self.update(camera_card_text(camera, site, now, tz))
