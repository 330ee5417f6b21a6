"""Findings lifecycle rules and alerts.

``lifecycle``: pure decisions (escalation, which changes become alerts, the
per-camera rate limit). ``webhook`` and ``mqtt``: the two ways an alert
leaves the controller. ``dispatcher``: reads the alert outbox the store
fills and delivers it to every target in order per camera, once.
"""
