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
def code_digest() -> str:
    """SHA-256 of the source files of ``JUDGING_PACKAGES``, by name, read
    once per process."""
    digest = hashlib.sha256()
    for name in JUDGING_PACKAGES:
        module = importlib.import_module(name)
        assert module.__file__ is not None
        for path in sorted(Path(module.__file__).parent.glob("*.py")):
            digest.update(f"{name}/{path.name}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def judge_key(policy: Policy) -> str:
    """64 hex digits naming ``policy`` (all of it, as loaded) judged by
    this code."""
    digest = hashlib.sha256(code_digest().encode())
    digest.update(policy.model_dump_json().encode())
    return digest.hexdigest()
