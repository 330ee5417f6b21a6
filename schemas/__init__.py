"""The shared vocabulary of camwarden: policy model, facts, findings, wire
messages, MQTT topics, API views and the rule catalog.

This package imports nothing else of ours (an import-linter contract holds it
to that), so every other part can depend on it without cycles.
"""

SCHEMA_VERSION = 1
"""Version of every wire message and of the audit JSON. Bumped only on a
breaking change; readers reject a version they do not know."""
