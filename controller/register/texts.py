"""The public texts a policy file implies, pure: the operation and management
policy (영상정보처리기기 운영·관리 방침, the items of PIPA Art. 25(7) and
Enforcement Decree Art. 25) and the signboard (안내판, PIPA Art. 25(4):
purpose, place, range, hours, manager and contact).

Generated from the same file the agents check against, so the published
policy and the configuration cannot disagree. Roles only, never names.
"""

from __future__ import annotations

from typing import Literal

from schemas.policy import Policy, Role, Site

Lang = Literal["ko", "en"]

PURPOSES: dict[str, tuple[str, str]] = {
    "facility-safety": ("시설안전", "facility safety"),
    "fire-prevention": ("화재예방", "fire prevention"),
    "crime-prevention": ("범죄예방", "crime prevention"),
    "vehicle-theft-prevention": ("차량도난 방지", "prevention of vehicle theft"),
    "dispute-prevention": ("분쟁 예방", "prevention of disputes"),
    "detainee-safety": ("보호외국인 안전", "safety of detained persons"),
    "traffic-control": ("교통단속", "traffic control"),
}


def _t(lang: Lang, ko: str, en: str) -> str:
    return ko if lang == "ko" else en


def _purposes(policy: Policy, lang: Lang) -> str:
    return ", ".join(PURPOSES[p][0 if lang == "ko" else 1] for p in policy.purposes)


def _role_title(role: Role, lang: Lang) -> str:
    title = role.title_ko if lang == "ko" and role.title_ko else role.title
    return f"{title} ({role.unit})" if role.unit else title


def _manager(policy: Policy, site: Site | None) -> Role:
    """The responsible manager covering ``site`` (else the first role)."""
    for kind in ("responsible-manager", "privacy-officer", "operator"):
        for role in policy.roles:
            if role.role == kind and (site is None or not role.sites or site.id in role.sites):
                return role
    return policy.roles[0]


def _hours(policy: Policy, lang: Lang) -> str:
    if policy.recording.continuous:
        return _t(lang, "24시간 연속 촬영", "24 hours a day, every day")
    return _t(lang, "정책에 정한 시간", "the hours the policy sets")


def _site_name(site: Site, lang: Lang) -> str:
    return site.name_en if lang == "en" and site.name_en else site.name


def render_policy(policy: Policy, lang: Lang = "ko") -> str:
    """The operation and management policy as plain text (Markdown headings)."""
    org = policy.organisation
    name = org.name_en if lang == "en" and org.name_en else org.name
    out: list[str] = [
        _t(
            lang,
            f"# {name} 영상정보처리기기 운영·관리 방침",
            f"# {name}: CCTV operation and management policy",
        ),
        _t(
            lang,
            f"버전 {policy.version}, 시행일 {policy.effective_from}",
            f"Version {policy.version}, in force from {policy.effective_from}",
        ),
        "",
        _t(lang, "## 1. 설치 근거 및 목적", "## 1. Legal basis and purposes"),
        *(f"- {basis}" for basis in policy.legal_basis),
        _t(lang, f"- 목적: {_purposes(policy, lang)}", f"- Purposes: {_purposes(policy, lang)}"),
        "",
        _t(
            lang,
            "## 2. 설치 대수, 위치 및 촬영 범위",
            "## 2. Number, places and range of the cameras",
        ),
    ]
    for site in policy.sites:
        out.append(
            _t(
                lang,
                f"### {_site_name(site, lang)} ({len(site.cameras)}대)",
                f"### {_site_name(site, lang)} ({len(site.cameras)} cameras)",
            )
        )
        out += [f"- {c.name}: {c.location} / {c.coverage}" for c in site.cameras]
    out += [
        "",
        _t(lang, "## 3. 관리책임자 및 접근권한자", "## 3. Manager and people with access"),
        *(
            f"- {_role_label(role.role, lang)}: {_role_title(role, lang)}"
            + (f" — {role.contact}" if role.contact else "")
            for role in policy.roles
        ),
        "",
        _t(
            lang,
            "## 4. 촬영 시간, 보관 기간, 보관 장소 및 처리 방법",
            "## 4. Recording hours, retention, storage place and handling",
        ),
        _t(lang, f"- 촬영 시간: {_hours(policy, lang)}", f"- Recording: {_hours(policy, lang)}"),
        _t(
            lang,
            "- 녹음 기능은 사용하지 않습니다."
            if policy.audio == "forbidden"
            else "- 녹음 기능을 사용합니다.",
            "- No audio is recorded." if policy.audio == "forbidden" else "- Audio is recorded.",
        ),
        _t(
            lang,
            f"- 보관 기간: 촬영일부터 {policy.retention.days}일",
            f"- Retention: {policy.retention.days} days from the day of capture",
        ),
        _t(
            lang,
            "- 보관 기간이 지나면 복구할 수 없도록 지체 없이 파기합니다"
            + (
                f" ({policy.retention.deletion_check})." if policy.retention.deletion_check else "."
            ),
            "- After it, footage is destroyed without delay so that it cannot be recovered"
            + (
                f" ({policy.retention.deletion_check})." if policy.retention.deletion_check else "."
            ),
        ),
        *(
            _t(
                lang,
                f"- 보관 장소({_site_name(s, lang)}): {s.storage_place}",
                f"- Storage ({_site_name(s, lang)}): {s.storage_place}",
            )
            for s in policy.sites
        ),
        _t(
            lang,
            "- 이용·제공·열람·파기는 개인영상정보 관리대장에 기록하고 위·변조를 방지합니다.",
            "- Every use, provision, viewing and destruction is recorded in the personal video "
            "register, protected against forgery and alteration.",
        ),
        "",
        _t(
            lang,
            "## 5. 정보주체의 영상정보 열람 등 요구에 대한 조치",
            "## 5. Data subjects' requests to view their footage",
        ),
        _t(
            lang,
            f"- 존재확인·열람 청구는 접수한 날부터 {policy.access_requests.answer_within_days}일 "
            "이내에 처리하며, 거부하는 경우 그 사유를 서면으로 알립니다.",
            f"- A request to confirm or view footage is answered within "
            f"{policy.access_requests.answer_within_days} days of receipt; a refusal is "
            "notified in writing with its reason.",
        ),
        "",
        _t(lang, "## 6. 영상정보의 안전성 확보 조치", "## 6. Safety measures"),
        _t(
            lang,
            "- 접근 통제, 접근 권한 제한, 접속 기록 보관, 보관 장소 출입 통제, 위·변조 방지",
            "- Access control and limited access rights, access logs, a controlled storage "
            "room, protection against forgery and alteration",
        ),
    ]
    return "\n".join(out) + "\n"


def _role_label(kind: str, lang: Lang) -> str:
    labels = {
        "privacy-officer": ("개인정보 보호책임자", "Privacy officer"),
        "responsible-manager": ("관리책임자", "Responsible manager"),
        "operator": ("운영담당자", "Operator"),
        "access-holder": ("접근권한자", "Access holder"),
        "outsourced-operator": ("수탁업체", "Outsourced operator"),
    }
    ko, en = labels[kind]
    return _t(lang, ko, en)


def render_signage(policy: Policy, lang: Lang = "ko", site_id: str | None = None) -> str:
    """One signboard text per site (or the one named): purpose, place, range,
    hours, manager role and the contact role."""
    boards: list[str] = []
    for site in policy.sites:
        if site_id is not None and site.id != site_id:
            continue
        manager = _manager(policy, site)
        contact = manager.contact or _role_title(manager, lang)
        places = "; ".join(
            c.location if c.coverage == c.location else f"{c.location} ({c.coverage})"
            for c in site.cameras
        )
        boards.append(
            "\n".join(
                [
                    _t(lang, "[ CCTV 설치 안내 ]", "[ CCTV in operation ]"),
                    _t(
                        lang,
                        f"설치 목적: {_purposes(policy, lang)}",
                        f"Purpose: {_purposes(policy, lang)}",
                    ),
                    _t(
                        lang,
                        f"설치 장소: {_site_name(site, lang)}",
                        f"Place: {_site_name(site, lang)}",
                    ),
                    _t(lang, f"촬영 범위: {places}", f"Range: {places}"),
                    _t(
                        lang, f"촬영 시간: {_hours(policy, lang)}", f"Hours: {_hours(policy, lang)}"
                    ),
                    _t(
                        lang,
                        f"관리책임자: {_role_title(manager, lang)}",
                        f"Manager: {_role_title(manager, lang)}",
                    ),
                    _t(lang, f"연락처: {contact}", f"Contact: {contact}"),
                ]
            )
        )
    if not boards:
        raise KeyError(f"no site {site_id!r} in policy {policy.policy_id!r}")
    return "\n\n".join(boards) + "\n"
