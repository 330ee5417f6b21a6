"""Safe storage and access control (PIPA Art. 29).

``security.anonymous-access``: the camera answered a protected operation
without credentials (raised with no policy too, unless a policy explicitly
drops ``require_authentication``).

``security.vendor-unapproved``: the policy lists approved manufacturers and
the camera's is not among them (compared without case or surrounding space).

``security.firmware-unapproved``: the policy lists approved firmware; the
entries for the camera's manufacturer (and model, when an entry names one)
approve no version equal to the camera's. A camera whose manufacturer/model
has no entry at all is unapproved: the list is an allow-list.
"""

from __future__ import annotations

from agent.checks.subject import Subject
from schemas.facts import DeviceInfo, SecurityFacts
from schemas.findings import Finding
from schemas.policy import EquipmentPolicy


def _norm(text: str) -> str:
    return text.strip().casefold()


def check_anonymous(
    equipment: EquipmentPolicy | None, security: SecurityFacts, subject: Subject
) -> list[Finding]:
    """``security.anonymous-access`` when the camera let us in without credentials."""
    required = equipment is None or equipment.require_authentication
    if not required or security.anonymous_access is not True:
        return []
    return [
        subject.finding(
            "security.anonymous-access",
            "the camera answers protected operations without authentication",
            {"anonymous_access": True, "auth_scheme": security.auth_scheme, "tls": security.tls},
        )
    ]


def check_equipment(
    equipment: EquipmentPolicy, device: DeviceInfo, subject: Subject
) -> list[Finding]:
    """Vendor and firmware findings against the policy's approved lists."""
    found: list[Finding] = []
    approved_vendors = equipment.approved_vendors
    if approved_vendors and _norm(device.manufacturer) not in {_norm(v) for v in approved_vendors}:
        found.append(
            subject.finding(
                "security.vendor-unapproved",
                f"manufacturer {device.manufacturer!r} is not among the approved vendors "
                f"({', '.join(approved_vendors)})",
                {"manufacturer": device.manufacturer, "approved_vendors": approved_vendors},
            )
        )
    if equipment.approved_firmware:
        approved = _approved_versions(equipment, device)
        if approved is not None and device.firmware.strip() not in approved:
            shown = ", ".join(approved) if approved else "none for this manufacturer/model"
            found.append(
                subject.finding(
                    "security.firmware-unapproved",
                    f"firmware {device.firmware!r} of {device.manufacturer} {device.model} "
                    f"is not approved (approved: {shown})",
                    {
                        "manufacturer": device.manufacturer,
                        "model": device.model,
                        "firmware": device.firmware,
                        "approved_firmware": approved,
                    },
                )
            )
    return found


def _approved_versions(equipment: EquipmentPolicy, device: DeviceInfo) -> tuple[str, ...] | None:
    """The approved versions for this device, or None when any version is
    approved (a matching entry lists no versions). An empty tuple: no entry
    approves this manufacturer/model."""
    manufacturer, model = _norm(device.manufacturer), _norm(device.model)
    versions: list[str] = []
    for entry in equipment.approved_firmware:
        if _norm(entry.manufacturer) != manufacturer:
            continue
        if entry.model is not None and _norm(entry.model) != model:
            continue
        if not entry.versions:
            return None
        versions.extend(v.strip() for v in entry.versions)
    return tuple(versions)
