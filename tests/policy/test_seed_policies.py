"""The five seed policies in policies/ load and say what their seeds say.

Every number asserted here was read from the seed documents in
/work/shared/seeds/ (the comment beside it says where); a change to a policy
file that drifts from its seed fails here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from schemas.policy import Policy
from schemas.policy_file import load_policy

POLICIES = Path(__file__).parents[2] / "policies"


@dataclass(frozen=True)
class Seed:
    file: str
    cameras_per_site: dict[str, int]
    retention_days: int
    purposes: tuple[str, ...]
    effective_from: str
    cameras_per_place: dict[str, dict[str, int]] = field(default_factory=dict)
    """site id -> camera location -> count, where the seed counts per place."""
    foreign_cameras: int = 0
    deletion_check: str | None = None


SEEDS = [
    Seed(
        file="000-moel-ansan.yaml",
        # 제5조(설치현황): 안산지청 본청 5대, 안산고용센터 16대, 시흥고용센터 8대.
        cameras_per_site={
            "moel-ansan-main": 5,
            "moel-ansan-ansan-jc": 16,
            "moel-ansan-siheung-jc": 8,
        },
        # 제5조 table: Cam1,2(1층) .. Cam9,10(지하 2층) .. Cam15,16(1층).
        cameras_per_place={
            "moel-ansan-ansan-jc": {
                "1층": 4,
                "2층": 2,
                "3층": 2,
                "4층": 1,
                "5층": 1,
                "지하 2층": 2,
                "지하 1층": 2,
                "외부주차장": 1,
                "주차장 출입": 1,
            },
        },
        retention_days=30,  # 제7조: 보관기간 30일.
        # 제4조: 시설안전 및 화재예방, 범죄 예방, 민원분쟁 방지.
        purposes=("facility-safety", "fire-prevention", "crime-prevention", "dispute-prevention"),
        effective_from="2017-06-15",  # 부칙: 2017년 6월 15일부터 시행.
    ),
    Seed(
        file="001-moel-jungbu.yaml",
        # Section 2: 총 60대 (본청:4대, 센터: 56대).
        cameras_per_site={"moel-jungbu-main": 4, "moel-jungbu-incheon-jc": 56},
        # Section 2 table, 설치 대수 per 설치 위치.
        cameras_per_place={
            "moel-jungbu-main": {
                "고객지원실": 1,
                "광역근로감독과": 1,
                "산재예방지도과": 1,
                "부정수급조사과": 1,
            },
            "moel-jungbu-incheon-jc": {
                "정문": 1,
                "지하주차장": 5,
                "지상주차장": 3,
                "엘리베이터": 2,
                "계단": 7,
                "지하2층": 3,
                "로비": 8,
                "1층": 9,
                "2층": 8,
                "3층": 2,
                "4층": 4,
                "5층": 2,
                "6층": 2,
            },
        },
        # Section 2 note: cameras of the joint building are run by its management office.
        foreign_cameras=1,
        retention_days=30,  # Section 4: 촬영일로부터 30일.
        # Section 1: 시설안전 및 화재 예방, 범죄 예방, 차량도난 및 파손방지(주차장).
        purposes=(
            "facility-safety",
            "fire-prevention",
            "crime-prevention",
            "vehicle-theft-prevention",
        ),
        effective_from="2021-07-23",  # Section 9: 2021년 7월 23일부터 적용.
    ),
    Seed(
        file="002-smba-jeonbuk.yaml",
        # Section 2: 12대, 청사부지내 건물 내외부 및 부속시설, 반경 약 50m이내.
        cameras_per_site={"smba-jeonbuk-main": 12},
        cameras_per_place={"smba-jeonbuk-main": {"청사부지내 건물 내외부 및 부속시설": 12}},
        retention_days=10,  # Section 4: 촬영일로부터 10일.
        # Section 1: 시설안전 및 화재 예방, 범죄예방 및 수사.
        purposes=("facility-safety", "fire-prevention", "crime-prevention"),
        effective_from="2013-07-30",  # Section 9: 시행일자 2013년 7월 30일.
    ),
    Seed(
        file="003-gwangju-immigration.yaml",
        # 제8조: 27대(공개된 장소) + 25대(비공개된 장소).
        cameras_per_site={"gwangju-immigration-main": 52},
        cameras_per_place={
            "gwangju-immigration-main": {
                "주차장, 건물로비, 통로, 민원실": 27,
                "외국인보호실, 기계실": 25,
            }
        },
        retention_days=15,  # 제12조②: 수집 후 15일 이내.
        # 제3조1: 화재예방, 보호외국인의 사고 예방, 시설의 안전과 질서.
        purposes=("fire-prevention", "detainee-safety", "facility-safety"),
        effective_from="2022-08-04",  # 제18조: 공고 2022년 07월 27일 / 시행 2022년 08월 4일.
    ),
    Seed(
        file="004-gyeyang-fire.yaml",
        # 설치현황: 총 15대(본서 11대, 계산119안전센터 4대).
        cameras_per_site={"gyeyang-fire-main": 11, "gyeyang-fire-gyesan": 4},
        retention_days=30,  # 현황 table: 영상정보 보관기간 30일.
        purposes=("facility-safety", "fire-prevention"),  # 설치목적: 시설안전 및 화재예방.
        effective_from="2020-04-01",  # dated 2020. 4.; 점검기간 2020. 4. 1 ~.
        # 관리대장 작성요령: "30일 주기 자동 파기, 매월 1일 확인".
        deletion_check="30일 주기 자동 파기, 매월 1일 확인 (monthly on the 1st)",
    ),
]
SEED_IDS = [seed.file.removesuffix(".yaml") for seed in SEEDS]


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    return {seed.file: load_policy(POLICIES / seed.file) for seed in SEEDS}


def test_there_is_one_file_per_seed() -> None:
    assert sorted(p.name for p in POLICIES.glob("*.yaml")) == sorted(s.file for s in SEEDS)


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_cameras_per_site_match_the_seed(seed: Seed, policies: dict[str, Policy]) -> None:
    policy = policies[seed.file]
    counts = {site.id: len(site.cameras) for site in policy.sites}
    assert counts == seed.cameras_per_site


@pytest.mark.parametrize(
    "seed", [s for s in SEEDS if s.cameras_per_place], ids=lambda s: s.file[:3]
)
def test_cameras_per_place_match_the_seed(seed: Seed, policies: dict[str, Policy]) -> None:
    policy = policies[seed.file]
    for site_id, expected in seed.cameras_per_place.items():
        counts = Counter(camera.location for camera in policy.site(site_id).cameras)
        assert dict(counts) == expected, site_id


def test_004_places_split_inside_and_outside_as_the_seed(policies: dict[str, Policy]) -> None:
    # 현황 table: 4 cells under 청사 내부 및 주요장소, the rest of 본서 11대 under 청사 외부.
    site = policies["004-gyeyang-fire.yaml"].site("gyeyang-fire-main")
    sides = Counter(camera.location.split(":")[0] for camera in site.cameras)
    assert sides == {"청사 내부": 4, "청사 외부": 7}


def test_003_public_and_non_public_places(policies: dict[str, Policy]) -> None:
    # 제8조: 27대(공개된 장소), 25대(비공개된 장소).
    site = policies["003-gwangju-immigration.yaml"].site("gwangju-immigration-main")
    assert Counter(camera.public_place for camera in site.cameras) == {True: 27, False: 25}


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_foreign_cameras_only_where_the_seed_names_another_operator(
    seed: Seed, policies: dict[str, Policy]
) -> None:
    assert sum(len(s.foreign_cameras) for s in policies[seed.file].sites) == seed.foreign_cameras


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_retention_as_the_seed(seed: Seed, policies: dict[str, Policy]) -> None:
    retention = policies[seed.file].retention
    assert (retention.days, retention.tolerance_days, retention.deletion) == (
        seed.retention_days,
        1,
        "automatic",
    )
    assert retention.deletion_check == seed.deletion_check


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_purposes_and_dates_as_the_seed(seed: Seed, policies: dict[str, Policy]) -> None:
    policy = policies[seed.file]
    assert policy.purposes == seed.purposes
    assert policy.effective_from.isoformat() == seed.effective_from


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_common_rules_of_every_seed(seed: Seed, policies: dict[str, Policy]) -> None:
    """24 h recording, no audio, answers within 10 days, no PTZ approved:
    every seed says so (or approves no PTZ)."""
    policy = policies[seed.file]
    assert policy.recording.continuous
    assert policy.audio == "forbidden"
    assert policy.access_requests.answer_within_days == 10
    assert all(camera.audio is None for _, camera in policy.cameras())
    assert not any(camera.ptz.approved for _, camera in policy.cameras())


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_every_site_has_its_storage_and_monitoring_place(
    seed: Seed, policies: dict[str, Policy]
) -> None:
    for site in policies[seed.file].sites:
        assert site.storage_place and site.monitoring_place, site.id


def test_site_ids_are_unique_across_all_policies(policies: dict[str, Policy]) -> None:
    site_ids = [site.id for policy in policies.values() for site in policy.sites]
    assert len(site_ids) == len(set(site_ids))
    for policy in policies.values():
        for site in policy.sites:
            assert site.id.startswith(policy.policy_id + "-"), site.id


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_serials_are_placeholders_derived_from_the_camera_id(
    seed: Seed, policies: dict[str, Policy]
) -> None:
    for _, camera in policies[seed.file].cameras():
        assert camera.identity.serial == f"SN-{camera.id.upper()}"
    head = (POLICIES / seed.file).read_text(encoding="utf-8").split("schema_version:")[0]
    assert "PLACEHOLDERS" in head and "real device's" in head


# Korean phone numbers: 0XX-XXX(X)-XXXX, 15XX-XXXX, or a bare extension ☎650-5641.
PHONE = re.compile(r"\b0\d{1,2}[-)\s]\d{3,4}-\d{4}\b|\b1[5-8]\d{2}-\d{4}\b|\d{3}-\d{4}\b")


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_no_phone_numbers(seed: Seed) -> None:
    text = (POLICIES / seed.file).read_text(encoding="utf-8")
    assert PHONE.findall(text) == []
