"""Verifiable credentials in the browser: from the QR code on a transcript PDF
to the public verify page saying "valid"; a teacher's own credential, changed
by one field and uploaded, shows which check failed."""

import datetime
import json
import re
import subprocess
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from credits.models import CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append
from tests.factories import OrganisationFactory, TeacherFactory

from .test_credits_journey import log_in, log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def decode_qr(pdf_bytes: bytes, tmp_path) -> str:
    pdf = tmp_path / "transcript.pdf"
    pdf.write_bytes(pdf_bytes)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    image = next(tmp_path.glob("p*.png"))
    return subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_scan_transcript_qr_then_upload_a_tampered_credential(page, tmp_path):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    school = OrganisationFactory(name="临江市实验小学")
    teacher = TeacherFactory(real_name="林晓", school=school)
    for n, (title, hours) in enumerate(
        [("人工智能助力课堂教学", 12), ("数据驱动的精准教学", 8)]
    ):
        credit_record_append(
            teacher=teacher,
            kind="online_course",
            category="信息技术应用",
            source_type="courses.course",
            source_id=str(n),
            source_title=title,
            hours=Decimal(hours),
            earned_on=datetime.date.today(),
            idempotency_key=f"e2e-cred:{n}",
        )

    log_in(page, teacher.user.email)
    page.locator("header").get_by_role("link", name="我的证书").click()
    table = page.locator("main table")
    expect(table).to_contain_text("人工智能助力课堂教学（12学时）")
    expect(table).to_contain_text("数据驱动的精准教学（8学时）")

    # The transcript PDF's QR code leads to the public verify page.
    page.locator("header").get_by_role("link", name="我的学分").click()
    pdf = page.request.get(page.locator("#transcript-pdf").get_attribute("href"))
    url = decode_qr(pdf.body(), tmp_path)
    assert re.search(r"/verify/transcript/[A-Z0-9]{10}/$", url), url
    json_href = (
        page.locator("header")
        .get_by_role("link", name="我的证书")
        .get_attribute("href")
    )
    page.goto(json_href)
    credential_href = page.locator("main table a", has_text="JSON").first.get_attribute(
        "href"
    )
    genuine = page.request.get(credential_href).json()
    log_out(page)

    page.goto(re.sub(r"^https?://[^/]+", "", url))
    expect(page.locator("#ledger-result")).to_contain_text("一致")
    result = page.locator("#verify-result")
    expect(result).to_contain_text("有效")
    expect(result).to_contain_text("这份证书的签名、签发方和状态均已核验通过")
    expect(result.locator("tr[data-check=signature]")).to_contain_text("通过")

    # Someone "improves" the hours on a downloaded credential and uploads it.
    tampered = dict(genuine)
    tampered["credentialSubject"] = dict(
        genuine["credentialSubject"], creditsEarned=120
    )
    file = tmp_path / "credential.json"
    file.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    page.goto("/verify/")
    page.get_by_label("或选择文件").set_input_files(str(file))
    page.get_by_role("button", name="验证").click()
    result = page.locator("#verify-result")
    expect(result).to_contain_text("无效")
    expect(result).to_contain_text("未通过的检查：签名")
    expect(result.locator("tr[data-check=signature]")).to_contain_text("未通过")
    expect(result.locator("tr[data-check=issuer_key]")).to_contain_text("通过")

    # The genuine one, pasted, is valid.
    page.get_by_label("证书 JSON").fill(json.dumps(genuine, ensure_ascii=False))
    page.get_by_role("button", name="验证").click()
    expect(page.locator("#verify-result")).to_contain_text("核验通过")
    expect(page.locator("#verify-result")).to_contain_text("林晓")
