"""Where a client's CPU goes, from a py-spy raw profile or a cProfile file.

    python bench/onvif_audit_profile.py PROFILE [--cameras N] [--top N]

Two views, per camera:

- stages (inclusive): the share of samples (py-spy) or of cumulative time
  (cProfile) spent inside each stage of a SOAP call: zeep building the
  request, the WS-Security header, aiohttp sending it and reading the answer,
  zeep parsing the answer into objects, camwarden turning those into facts;
- self time by library: each sample's innermost Python frame (py-spy; C code
  such as lxml's is charged to the Python frame that called it) or each
  function's own time (cProfile) charged to the package its code lives in.

Used by bench/onvif_audit.py ``--profile``; not a test.
"""

from __future__ import annotations

import argparse
import pstats
from collections import Counter
from pathlib import Path

GROUPS = (
    # (substring of the file path or C function name, group), first match wins
    ("zeep/wsse/", "zeep WS-Security"),
    ("zeep/xsd/", "zeep XSD (objects <-> XML)"),
    ("zeep/wsdl/", "zeep WSDL/SOAP binding"),
    ("zeep/", "zeep (other)"),
    ("lxml", "lxml"),
    ("aiohttp/", "aiohttp/yarl/multidict"),
    ("multidict/", "aiohttp/yarl/multidict"),
    ("yarl/", "aiohttp/yarl/multidict"),
    ("asyncio/", "asyncio event loop"),
    ("selectors.py", "asyncio event loop"),
    ("epoll", "asyncio event loop"),
    ("socket", "sockets"),
    ("pydantic", "pydantic"),
    ("agent/onvif/", "agent.onvif (camwarden)"),
    ("schemas/", "schemas (camwarden)"),
    ("isodate/", "isodate"),
    ("hashlib", "hashing"),
    ("uuid", "uuid"),
    ("importlib", "imports"),
    ("marshal", "imports"),
)

STAGES = (
    # (label, function name, path substring): inclusive time inside such a frame
    ("zeep: request object -> XML (binding _create)", "_create", "zeep/wsdl/bindings/soap.py"),
    ("WS-Security UsernameToken header", "security_header", "agent/onvif/wsse.py"),
    ("aiohttp: send request, read answer", "_request", "aiohttp/client.py"),
    ("zeep: answer XML -> objects (process_reply)", "process_reply", "zeep/wsdl/bindings/soap"),
    ("camwarden: objects -> facts (convert)", "", "agent/onvif/convert.py"),
    ("pydantic: facts models", "", "pydantic"),
    ("imports", "", "importlib"),
    ("WSDL parsing (once)", "", "agent/onvif/wsdl_cache.py"),
)


def group_of(where: str) -> str:
    for needle, group in GROUPS:
        if needle in where:
            return group
    return "other"


def _in_stage(frame: str, function: str, path: str) -> bool:
    """Whether ``frame`` ("[Class.]function (path:line)") is ``function`` in ``path``."""
    name = frame.split(" (", 1)[0]
    return path in frame and (not function or name == function or name.endswith("." + function))


def from_py_spy(path: Path) -> tuple[float, Counter[str], Counter[str], Counter[str]]:
    """(samples, self samples by group, samples by stage, self samples by function)."""
    total = 0.0
    groups: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        groups[group_of(frames[-1])] += count
        functions[frames[-1]] += count
        for label, function, where in STAGES:
            if any(_in_stage(frame, function, where) for frame in frames):
                stages[label] += count
    return total, groups, stages, functions


def from_cprofile(path: Path) -> tuple[float, Counter[str], Counter[str], Counter[str]]:
    """As from_py_spy, in seconds (stages: the largest cumulative time of a
    matching function, which undercounts a stage split over several)."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    groups: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    for (filename, line, function), row in stats.items():
        groups[group_of(filename if filename != "~" else function)] += row[2]
        functions[f"{function} ({filename}:{line})"] += row[2]
        frame = f"{function} ({filename}:{line})"
        for label, name, where in STAGES:
            if _in_stage(frame, name, where):
                stages[label] = max(stages[label], row[3])
    return sum(groups.values()), groups, stages, functions


def report(path: Path, cameras: int, top: int = 12) -> str:
    sampled = not _is_pstats(path)
    total, groups, stages, functions = (from_py_spy if sampled else from_cprofile)(path)
    unit = "samples" if sampled else "s"
    out = [
        f"where camwarden's CPU goes ({'py-spy' if sampled else 'cProfile'}, "
        f"{total:.0f} {unit}, {cameras} cameras)",
        "  stages (inclusive):",
    ]
    out += [f"    {label:48} {stages[label] / total:>6.1%}" for label, _, _ in STAGES]
    out.append("  self time by library:")
    out += [f"    {group:48} {n / total:>6.1%}" for group, n in groups.most_common()]
    out.append(f"  top {top} functions by self time:")
    out += [f"    {n / total:>6.1%}  {name}" for name, n in functions.most_common(top)]
    return "\n".join(out)


def _is_pstats(path: Path) -> bool:
    try:
        pstats.Stats(str(path))
    except Exception:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--cameras", type=int, default=1)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    print(report(args.profile, args.cameras, args.top))


if __name__ == "__main__":
    main()
