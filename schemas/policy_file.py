"""Load a policy (or any strict model) from YAML with errors that name the
file, the line and the field.

A file is either applied whole or rejected: nothing is half-applied. YAML's
quiet habits are refused too: a key given twice in one mapping is an error,
not "the last one wins". Whatever the bytes of the file, the only exception
that leaves ``load_model`` is the ``error`` class it was given.

Every problem is one line, ``FILE:LINE: FIELD: what is wrong``. LINE is the
line of the offending key (or list item); for a missing field it is the line
of the mapping that lacks it. Problems the policy model finds across the
whole file (a camera id declared twice, a role naming an unknown site) are
traced back to the line of the offending value, not reported at the top.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import types
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from schemas.errors import ConfigError, PolicyError
from schemas.policy import Policy

M = TypeVar("M", bound=BaseModel)
Loc = tuple[int | str, ...]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, keys that are not plain values,
    and values JSON cannot carry; every refusal carries the YAML mark."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            # e.g. "2026-02-30" (a date YAML recognises but Python cannot
            # build) or an integer with more digits than Python converts.
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {exc}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key is not None and not isinstance(key, str | int | float | bool):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be plain text, not {_kind(key)}", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def _refuse(self, node: yaml.Node) -> Any:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{node.tag.rsplit(':', 1)[-1]} values are not allowed in this file",
            node.start_mark,
        )


for _tag in ("binary", "set", "omap", "pairs"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _StrictLoader._refuse)


def _kind(value: object) -> str:
    """A YAML reader's name for a value's type."""
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "text"),
        (dict, "mapping"),
        (list, "list"),
        (datetime, "date and time"),
        (date, "date"),
        (bytes, "binary"),
        ((set, frozenset), "set"),
        (tuple, "list"),
        (type(None), "nothing (null)"),
    )
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{_kind(value)} values are not allowed in this file")


def _parse(path: Path, *, error: type[ConfigError]) -> tuple[yaml.Node, dict[str, Any], str]:
    """Read ``path`` into (its YAML node tree, its data, the data as JSON)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)  # the reader refuses control characters here
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:" if mark is not None else ""
        raise error(f"{path}:{where} YAML: {exc.problem or exc}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        what = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise error(
            f"{path}:{line}: YAML: character {what} is not allowed ({exc.reason})"
        ) from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: YAML: {exc}") from None
    except RecursionError:
        raise error(f"{path}: YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    if root is None or data is None:
        raise error(f"{path}:1: the file is empty; it must hold a mapping (key: value)")
    if not isinstance(data, dict):
        line = root.start_mark.line + 1
        raise error(f"{path}:{line}: the file must hold a mapping (key: value), not {_kind(data)}")
    try:
        payload = json.dumps(data, default=_json_default)
    except (TypeError, ValueError, RecursionError) as exc:
        raise error(f"{path}: {exc}") from None
    return root, data, payload


def _child(node: yaml.Node | None, part: int | str) -> tuple[yaml.Node, int] | None:
    """The child of ``node`` at ``part`` and the line (1-based) that names it:
    a mapping key's own line, or a list item's first line."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == part:
                return value_node, key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            item = node.value[part]
            return item, item.start_mark.line + 1
    return None


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc`` that exists."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        node, line = found
    return line


def _strip(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names of the model found at ``loc`` (empty when there is none)."""
    current: Any = model
    for part in loc:
        current = _strip(current)
        if isinstance(part, int):
            if get_origin(current) is not tuple:
                return []
            current = get_args(current)[0]
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
    current = _strip(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9_-]{0,62}$": "must be an id of lower-case ASCII letters, digits, '-' and '_' "
    "(no spaces, no upper case, no '/'), starting with a letter or digit, at most 63 characters",
    r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$": "must be a MAC address written like 00:1a:2b:3c:4d:5e "
    "(six lower-case hex pairs separated by ':')",
}

_NO_INPUT_SHOWN = {
    "missing",
    "extra_forbidden",
    "value_error",
    "too_short",
    "too_long",
    "json_invalid",
}


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{_kind(value)} {text}"


_DUPLICATE = re.compile(
    r"^(?P<what>site id|camera id|identity (?P<key>\w+)) (?P<value>'.*'|\".*\") is declared twice$"
)
_UNKNOWN_SITE = re.compile(r"^role (?:'.*'|\".*\") names unknown site\(s\) (?P<sites>\[.*\])$")
_ANY = -1  # a wildcard for any list index in a path pattern


def _scalars(
    node: yaml.Node | None, pattern: tuple[int | str, ...], loc: Loc = ()
) -> Iterator[tuple[Loc, yaml.ScalarNode, int]]:
    """Scalar nodes along ``pattern`` as (loc, node, line)."""
    if not pattern:
        return
    part, rest = pattern[0], pattern[1:]
    if part == _ANY:
        items = node.value if isinstance(node, yaml.SequenceNode) else []
        children: list[tuple[int | str, yaml.Node, int]] = [
            (i, item, item.start_mark.line + 1) for i, item in enumerate(items)
        ]
    else:
        found = _child(node, part)
        children = [(part, found[0], found[1])] if found is not None else []
    for key, child, line in children:
        if not rest:
            if isinstance(child, yaml.ScalarNode):
                yield (*loc, key), child, line
        else:
            yield from _scalars(child, rest, (*loc, key))


def _locate_whole_file_error(root: yaml.Node, message: str) -> tuple[Loc, str]:
    """Trace a problem the policy model reports for the whole file back to the
    offending value: the second of two duplicates, the unknown site a role
    names. Messages it does not recognise stay at the top level."""
    if match := _DUPLICATE.match(message):
        value = ast.literal_eval(match["value"])
        patterns: list[tuple[int | str, ...]]
        if match["key"]:
            cams = ("cameras", "foreign_cameras")
            patterns = [("sites", _ANY, c, _ANY, "identity", match["key"]) for c in cams]
        elif match["what"] == "site id":
            patterns = [("sites", _ANY, "id")]
        else:
            patterns = [("sites", _ANY, "cameras", _ANY, "id")]
        hits = sorted(
            (hit for p in patterns for hit in _scalars(root, p) if hit[1].value == value),
            key=lambda hit: hit[1].start_mark.index,
        )
        if len(hits) >= 2:
            return hits[1][0], f"{message} (first on line {hits[0][2]})"
    elif match := _UNKNOWN_SITE.match(message):
        unknown = set(ast.literal_eval(match["sites"]))
        for loc, node, _ in _scalars(root, ("roles", _ANY, "sites", _ANY)):
            if node.value in unknown:
                return loc, message
    return (), message


def _explain(item: ErrorDetails, root: yaml.Node, model: type[BaseModel]) -> tuple[Loc, str]:
    """Where a validation error points and what to tell the reader."""
    loc: Loc = tuple(item["loc"])
    kind = item["type"]
    message = str(item["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        if not loc:
            return _locate_whole_file_error(root, message)
        # "home_preset 'door' is not one of the presets" is about home_preset.
        first = message.split(" ", 1)[0]
        if first in _fields_at(model, loc) and _child(_node_at(root, loc), first) is not None:
            loc = (*loc, first)
        return loc, message
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        if close:
            return loc, f"unknown field; did you mean {close[0]!r}?"
        return loc, f"unknown field; expected one of: {', '.join(known)}" if known else (
            "unknown field"
        )
    if kind == "string_pattern_mismatch":
        message = _PATTERN_HINTS.get(str((item.get("ctx") or {}).get("pattern")), message)
    if kind not in _NO_INPUT_SHOWN and "input" in item:
        message = f"{message}, got {_shown(item['input'])}"
    return loc, message


def _node_at(root: yaml.Node | None, loc: Loc) -> yaml.Node | None:
    node = root
    for part in loc:
        found = _child(node, part)
        if found is None:
            return None
        node = found[0]
    return node


def _field_part(part: int | str) -> str:
    """A part of a field path as the reader should see it: a key that is
    empty or holds control characters is quoted, so that every problem
    stays on one line."""
    text = str(part)
    return text if text and text.isprintable() and "." not in text else repr(text)


def _problems(path: Path, root: yaml.Node, model: type[BaseModel], exc: ValidationError) -> str:
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    lines = []
    for item in errors:
        loc = tuple(item["loc"])
        if item["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in locs
        ):
            continue  # "at least 1 item": a symptom of an item below that failed
        loc, message = _explain(item, root, model)
        field = ".".join(map(_field_part, loc)) or "(top level)"
        lines.append(f"{path}:{_line_of(root, loc)}: {field}: {message}")
    return "\n".join(lines)


def load_model(path: Path, model: type[M], *, error: type[ConfigError] = ConfigError) -> M:
    """Read ``path`` as YAML and validate it as ``model`` (strict).

    Raises ``error`` with one line per problem: ``FILE:LINE: FIELD: what is
    wrong``. I/O errors, encoding errors, YAML syntax errors, duplicate keys
    and validation errors all come out the same way; nothing else escapes.
    """
    root, _, payload = _parse(path, error=error)
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        raise error(_problems(path, root, model, exc)) from None
    except RecursionError:
        raise error(f"{path}: nested too deeply") from None


def load_policy(path: Path) -> Policy:
    """Load and validate a policy file; PolicyError names file, line and field."""
    return load_model(path, Policy, error=PolicyError)
