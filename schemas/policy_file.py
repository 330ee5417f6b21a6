"""Load a policy (or any strict model) from YAML with errors that name the
file, the line and the field.

A file is either applied whole or rejected: nothing is half-applied. YAML's
quiet habits are refused too: a key given twice in one mapping is an error,
not "the last one wins".
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from schemas.errors import ConfigError, PolicyError
from schemas.policy import Policy

M = TypeVar("M", bound=BaseModel)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} values are not allowed in this file")


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc`` that exists."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    child = value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def load_model(path: Path, model: type[M], *, error: type[ConfigError] = ConfigError) -> M:
    """Read ``path`` as YAML and validate it as ``model`` (strict).

    Raises ``error`` with one line per problem: ``FILE:LINE: FIELD: what is
    wrong``. I/O errors, YAML syntax errors, duplicate keys and validation
    errors all come out the same way.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}:" if mark is not None else ""
        raise error(f"{path}:{line} YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{path}:1: the file must hold a mapping (key: value), not {type(data).__name__}")
    try:
        payload = json.dumps(data, default=_json_default)
    except TypeError as exc:
        raise error(f"{path}: {exc}") from None
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        problems = []
        for item in exc.errors():
            loc = tuple(item["loc"])
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(root, loc)
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{path}:{line}: {field}: {message}")
        raise error("\n".join(problems)) from None


def load_policy(path: Path) -> Policy:
    """Load and validate a policy file; PolicyError names file, line and field."""
    return load_model(path, Policy, error=PolicyError)
