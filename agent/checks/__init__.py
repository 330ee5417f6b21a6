"""Pure checks: observed facts + declared policy + now -> findings.

No sockets, clocks, databases or environment here (an import-linter contract
forbids them): the agent, the one-shot audit and the controller's reconcile
all call these same functions, so a camera is judged the same everywhere.
"""

from agent.checks.evaluate import evaluate_camera
from agent.checks.matching import Match, SiteIndex, split_address
from agent.checks.observe import observe

__all__ = ["Match", "SiteIndex", "evaluate_camera", "observe", "split_address"]
