"""The key bar at the foot of every screen: the keys Textual's ``Footer``
shows, drawn as one line of one widget.

Textual's ``Footer`` is a container of one ``FooterKey`` widget per
binding. It composes empty, then, after the screen's first frame,
recomposes: eleven widgets mounted and styled through the whole
stylesheet, then a lay-out of the screen with a full repaint, ~15 ms
of a 5,000-camera site's open on two shared cores, in the middle of
its load (issue 6); and again on every change of the bindings shown.
Here the keys are read from the screen's bindings when they change and
drawn as one line: a change of bindings is a repaint of that line, never
a lay-out, and the first frame already has the keys.

It looks as ``Footer`` (not compact) does: each key bold in the key
colours with a space either side, its description after it, a disabled
key dim, the command palette's key at the right behind a thin rule.
Pressing a key with the mouse presses it (a disabled one rings the bell),
hovering shows its tooltip, and a bar too narrow for its keys scrolls
with the mouse wheel, as ``Footer``'s does. Unlike ``Footer``, bindings
of one group are shown one by one, not gathered under the group's name
(the console defines no groups).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

SCROLL_STEP = 4
"""Columns the keys move by per turn of the mouse wheel."""


@dataclass(frozen=True, slots=True)
class Key:
    """One key as the bar shows it."""

    key: str
    """What ``App.simulate_key`` presses."""
    display: str
    description: str
    enabled: bool
    tooltip: str


class KeyFooter(Widget, can_focus=False):
    """The screen's keys, one line (see the module)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--item", "key-footer--key", "key-footer--description",
        "key-footer--hover", "key-footer--rule",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--item { background: $footer-item-background; }
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .key-footer--rule { color: $foreground 20%; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: tuple[tuple[Key, ...], Key | None] | None = None
        """The keys and the command palette's key drawn: read when the
        bindings change (and for the first frame)."""
        self._spans: list[tuple[int, int, Key]] = []
        """Where each key was drawn: columns [start, end)."""
        self._hover: Key | None = None
        self._offset = 0
        """Columns of keys scrolled out on the left."""
        self._overflow = 0
        """Columns of keys that did not fit, at the last draw."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    @property
    def keys(self) -> tuple[Key, ...]:
        """The keys shown (the command palette's last, when shown)."""
        keys, palette = self._shown if self._shown is not None else self._read()
        return keys if palette is None else (*keys, palette)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            shown = self._read()
            if shown != self._shown:
                self._shown = shown
                self.refresh()

    def _read(self) -> tuple[tuple[Key, ...], Key | None]:
        """The keys the screen's bindings show now, as ``Footer.compose`` reads them."""
        app = self.app
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys: list[Key] = []
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in seen:  # one key per action, as Footer
                seen.add(binding.action)
                keys.append(Key(binding.key, app.get_key_display(binding), binding.description,
                                enabled, tooltip))
        palette: Key | None = None
        shown = active.get(app.COMMAND_PALETTE_BINDING) if app.ENABLE_COMMAND_PALETTE else None
        if shown is not None:
            _, binding, enabled, _ = shown
            palette = Key(binding.key, app.get_key_display(binding), binding.description,
                          enabled, binding.tooltip or binding.description)
        return tuple(keys), palette

    def render(self) -> Text:
        if self._shown is None:
            self._shown = self._read()
        keys, palette = self._shown
        width = self.size.width
        item = self.rich_style + self.get_component_rich_style("key-footer--item", partial=True)
        right = Text()
        if palette is not None:
            right.append("▏", self.rich_style + self._rule_style())
            # Footer's palette key is compact: no space around the key, one before its words.
            self._draw(right, palette, item, key_pad="", description=f" {palette.description}")
            right.append(" ", item)  # the palette key's right padding
        room = max(width - right.cell_len, 0)
        line = Text()
        spans: list[tuple[int, int, Key]] = []
        for key in keys:
            start = line.cell_len
            self._draw(line, key, item, key_pad=" ", description=f"{key.description} ")
            spans.append((start, line.cell_len, key))
        self._overflow = max(line.cell_len - room, 0)
        self._offset = min(self._offset, self._overflow)
        line = line[self._offset:self._offset + room] if self._offset else line
        line.truncate(room, overflow="crop", pad=True)
        left = self._offset
        self._spans = [(max(start - left, 0), min(end - left, room), key)
                       for start, end, key in spans if end > left and start - left < room]
        self._spans += [(room + 1, room + right.cell_len, palette)] if palette is not None else []
        line.append_text(right)
        line.truncate(width, overflow="crop")
        return line

    def _rule_style(self) -> Style:
        """The thin rule before the palette's key: its colour (translucent,
        as ``Footer``'s border) laid over the key's background."""
        _, background = self.background_colors
        under = background + self.get_component_styles("key-footer--item").background
        colour = under + self.get_component_styles("key-footer--rule").color
        return Style(color=colour.rich_color, bgcolor=under.rich_color)

    def _draw(self, line: Text, key: Key, item: Style, *, key_pad: str, description: str) -> None:
        """Append ``key`` to ``line``, over ``item`` (the bar's and the item's style)."""
        style = self.get_component_rich_style  # cached by Textual per component
        under = item + style("key-footer--hover", partial=True) if key == self._hover else item
        if not key.enabled:
            under += Style(dim=True)
        line.append(f"{key_pad}{key.display}{key_pad}",
                    under + style("key-footer--key", partial=True))
        if key.description:
            line.append(description, under + style("key-footer--description", partial=True))

    def key_at(self, x: int) -> Key | None:
        """The key drawn at column ``x`` of the bar, if any."""
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        event.stop()
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hovered(self.key_at(event.x))

    def on_leave(self, _: events.Leave) -> None:
        self._hovered(None)

    def _hovered(self, key: Key | None) -> None:
        if key != self._hover:
            self._hover = key
            self.tooltip = (key.tooltip or None) if key is not None else None
            self.refresh()

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll(SCROLL_STEP, event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll(-SCROLL_STEP, event)

    def _scroll(self, step: int, event: events.MouseEvent) -> None:
        offset = min(max(self._offset + step, 0), self._overflow)
        if offset != self._offset:
            self._offset = offset
            event.stop()
            self.refresh()
