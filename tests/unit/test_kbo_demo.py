"""The KBO snapshot `make run` loads agrees with the demo registrations as the intake checks them, read back through
the loader's staging (the records SQLite assembles decode as the wire model)."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

from services.common import codec
from services.common.events import KboEnterprise, KboSnapshot
from services.common.vocabulary import Reason
from services.demo import kbo as demo_kbo
from services.demo.data import generate
from services.kbo import verify
from services.kbo.extract import Extract
from services.kbo.staging import Staged
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn

SNAPSHOT = KboSnapshot(extract_number=140, snapshot_date=demo_kbo.SNAPSHOT_DATE,
                       extract_timestamp=datetime(2026, 11, 1), extract_type="full", loaded_at=datetime.now(UTC))


def test_the_demo_snapshot_confirms_rejects_and_questions_the_demo_businesses_as_designed(tmp_path: Path) -> None:
    path = tmp_path / "demo.zip"
    demo_kbo.write_extract(path)
    extract = Extract(path)
    staged = Staged(extract, tmp_path / "staged.sqlite", lambda step, rows: None)
    records = {number: codec.decode(KboEnterprise, raw.encode()) for number, raw in staged.records()}
    staged.close()
    extract.close()

    found = {fate: 0 for fate in demo_kbo.Fate}
    for index, registration in enumerate(generate()):
        body = {**registration.body, "consent": {**registration.body["consent"], "purposes": ["listing"]}}
        business = build_submitted(RegistrationIn.model_validate(body), registration.partner_id, uuid.uuid4(),
                                   datetime.now(UTC)).business
        check = verify.check(business, records.get(business.enterprise_number), SNAPSHOT)
        fate = demo_kbo.fate(index)
        found[fate] += 1
        match fate:
            case demo_kbo.Fate.NOT_ACTIVE:
                assert check.findings == (Reason.KBO_NOT_ACTIVE,)
            case demo_kbo.Fate.ELSEWHERE:
                assert Reason.ADDRESS_UNVERIFIED in check.findings
            case demo_kbo.Fate.CONFIRMED:
                assert Reason.ADDRESS_UNVERIFIED not in check.findings, (body["address"], check)
                assert Reason.KBO_NOT_ACTIVE not in check.findings
    assert found == {demo_kbo.Fate.CONFIRMED: 270, demo_kbo.Fate.NOT_ACTIVE: 15, demo_kbo.Fate.ELSEWHERE: 15}
