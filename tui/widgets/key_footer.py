"""The key bar at the foot of every screen: Textual's ``Footer``, rebuilt
once per burst of binding changes instead of once per change.

Textual's ``Footer`` queues a full recompose (one ``FooterKey`` widget per
binding, each styled) for every change of the screen's bindings, and a
screen that opens changes them several times in a row: pushed, focus on
the filter box, then on the table, the app's own focus. Opening the fleet
screen queued five, the last three back to back at ~30 ms each on two
shared cores (issue 6: the fleet in under 200 ms). Every one of them shows
the bindings as they are when it runs, so one recompose pending at a time
shows the same keys: a change that arrives while one is pending rides on
it; one that arrives once it has started queues the next. And a change
that leaves the keys shown as they are (the focus moving to a table,
whose own keys are not shown) rebuilds nothing.

Each ``FooterKey`` is made in the compact style it ends up in. Textual
makes it compact (its default), then, once mounted, its class follows
the footer's ``compact`` (not compact here): two class changes, each
restyling the key through the whole stylesheet, ~20 ms for the eleven
keys of a screen opened on two shared cores (issue 6). Set before it is
mounted, the class is already right and neither change restyles it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """``Footer`` with at most one recompose pending (see the module)."""

    _recompose_pending = False
    _shown: tuple[object, ...] | None = None
    """What the last recompose showed (``_keys``)."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Bound to the footer's compact (``data_bind``), or the command
                # palette's key, left at FooterKey's default (compact). A Textual
                # without ``_reactive_connect`` costs the restyles again, no more.
                bound = "compact" in (getattr(widget, "_reactive_connect", None) or {})
                compact = self.compact if bound else True
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Footer.bindings_changed, but the recompose is not queued twice.
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_now)

    async def _recompose_now(self) -> None:
        self._recompose_pending = False  # before compose reads the bindings
        if not self.is_attached or self._pruning:  # its screen went (as Widget.recompose)
            return
        keys = self._keys()
        if keys == self._shown:
            return
        self._shown = keys
        await self.recompose()

    def _keys(self) -> tuple[object, ...]:
        """Everything ``Footer.compose`` reads: the bindings shown (a
        ``Binding`` is a frozen dataclass: its key, description, action,
        group...), whether each is enabled and its tooltip, and the
        command palette's."""
        active = self.screen.active_bindings
        shown = tuple((binding, enabled, tooltip)
                      for _, binding, enabled, tooltip in active.values() if binding.show)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        palette_shown = (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE
                         and palette is not None)
        return (shown, palette[1:] if palette_shown and palette else None, self.compact)
