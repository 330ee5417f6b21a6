"""Which stored judgements a reconciler may take as its own: the judge key.

A memo of judged observations (``controller.reconcile.stored``) is true for
the policy it was judged under and the code that judged it. The key names
both: a digest of the policy as loaded and of the source of every module
whose code decides a verdict (the agent's checks, reconcile, the shared
vocabulary). A new policy version, or a new release that changes a rule,
gives new keys, and the memos stored under the old ones are not read.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from pathlib import Path

from schemas.policy import Policy

JUDGING_PACKAGES = ("agent.checks", "controller.reconcile", "schemas")
"""The packages whose source decides what an observation's facts raise."""


@functools.cache
def source_digest(names: tuple[str, ...]) -> str:
    """SHA-256 of the source of ``names``, by name: every ``.py`` file of a
    package, the file of a module; read once per process and names."""
    digest = hashlib.sha256()
    for name in names:
        module = importlib.import_module(name)
        assert module.__file__ is not None
        path = Path(module.__file__)
        files = sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
        for file in files:
            digest.update(f"{name}/{file.name}\0".encode())
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def code_digest() -> str:
    """``source_digest`` of ``JUDGING_PACKAGES``."""
    return source_digest(JUDGING_PACKAGES)


def judge_key(policy: Policy) -> str:
    """64 hex digits naming ``policy`` (all of it, as loaded) judged by
    this code."""
    digest = hashlib.sha256(code_digest().encode())
    digest.update(policy.model_dump_json().encode())
    return digest.hexdigest()
