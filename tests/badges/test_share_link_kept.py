"""The share link verifies the credential on every view. What it does not
redo: canonicalising the very same stored document (its hash is kept in the
process, badges.proofs `remember`), reading the issuer row it read with the
credential (badges.trust `knowing`), and the endorsements while its holder's
version is unchanged (badges.selectors `endorsements_in_force`). So every
change that alters the verdict or the page shows on the next view."""

import copy
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from badges import keys, proofs, services
from badges.models import Endorsement, IssuedCredential, Issuer, IssuerKey
from badges.trust import TrustRegistry
from badges.verify import verify_credential
from tests.factories import hr_user

from .conftest import credential_of
from .test_endorsements import COMMENT, endorse

pytestmark = pytest.mark.django_db


def share(client, credential) -> str:
    response = client.get(reverse("credential_public", args=[credential.uid]))
    assert response.status_code == 200
    return response.content.decode()


def verdict(html: str) -> str:
    return html.split('data-result="')[1].split('"')[0]


@pytest.fixture
def seen(client, credited):
    """Her credential's share link, seen once by an anonymous visitor."""
    credential = credential_of(credited)
    assert verdict(share(client, credential)) == "valid"
    return credential


class TestRepeatView:
    def test_an_anonymous_repeat_view_reads_the_credential_and_its_status(
        self, client, seen
    ):
        first = share(client, seen)
        with CaptureQueriesContext(connection) as queries:
            again = share(client, seen)
        sql = [q["sql"] for q in queries.captured_queries]
        # The credential with its issuer, then its key and status bit (live).
        assert len(sql) == 2, sql
        assert "badges_issuerkey" in sql[1] and "badges_statuslist" in sql[1]
        assert again == first

    def test_the_kept_hash_is_the_hash_computed_afresh(self, seen):
        unsigned = proofs.split_proof(seen.document).unsigned
        fresh = proofs.hash_data(unsigned, seen.document["proof"][0])
        kept = proofs.hash_data(unsigned, seen.document["proof"][0], remember=True)
        assert kept == fresh
        assert proofs._json_digest(unsigned) in proofs._DOCUMENT_HASHES


class TestTheVerdictFollowsAtOnce:
    def test_revocation(self, client, seen, district_tree):
        services.credential_revoke(
            credential=seen, by=hr_user(district_tree["dist_a"]), reason="重复登记"
        )
        html = share(client, seen)
        assert verdict(html) == "invalid" and "该证书已被签发方撤销" in html

    def test_a_compromised_key(self, client, seen):
        IssuerKey.objects.update(status=IssuerKey.Status.COMPROMISED)
        html = share(client, seen)
        assert verdict(html) == "invalid" and "标记为泄露" in html

    def test_a_document_changed_in_the_database(self, client, seen):
        tampered = copy.deepcopy(seen.document)
        tampered["credentialSubject"]["achievement"]["name"] = "伪造的课程"
        IssuedCredential.objects.filter(pk=seen.pk).update(document=tampered)
        html = share(client, seen)
        assert verdict(html) == "invalid" and "签名与内容不符" in html
        # And back: the original verifies again.
        IssuedCredential.objects.filter(pk=seen.pk).update(document=seen.document)
        assert verdict(share(client, seen)) == "valid"

    def test_the_dates_against_the_clock_of_each_view(self, client, seen, monkeypatch):
        from badges import verify

        long_ago = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
        monkeypatch.setattr(verify.timezone, "now", lambda: long_ago)
        html = share(client, seen)
        assert verdict(html) == "invalid" and "证书尚未生效" in html

    def test_the_issuer_renamed_and_a_credential_of_another_issuer(
        self, client, seen, district_tree
    ):
        issuer = seen.issuer
        issuer.name = "临江市教师发展中心（新）"
        issuer.save()
        assert "临江市教师发展中心（新）" in share(client, seen)
        # The row now says another issuer than the document: the document's
        # DID is looked up as ever (and still recognised as the platform's).
        other = Issuer.objects.create(
            organisation=district_tree["dist_a"], slug="donghu-tdc", name="东湖区中心"
        )
        IssuedCredential.objects.filter(pk=seen.pk).update(issuer=other)
        html = share(client, seen)
        assert verdict(html) == "valid" and "临江市教师发展中心（新）" in html


class TestTrustRegistryKnowing:
    def test_the_same_answer_as_a_lookup_without_a_query(self, seen, district_tree):
        organisation = Issuer.objects.create(
            organisation=district_tree["dist_a"], slug="donghu-tdc", name="东湖区中心"
        )
        for issuer in (seen.issuer, organisation):
            did = keys.issuer_did(issuer)
            looked_up = TrustRegistry().lookup(did)
            registry = TrustRegistry().knowing(Issuer.objects.get(pk=issuer.pk))
            with CaptureQueriesContext(connection) as queries:
                known = registry.lookup(did)
            assert known == looked_up and known.recognised
            assert len(queries.captured_queries) == 0

    def test_another_did_is_still_looked_up(self, seen):
        registry = TrustRegistry().knowing(seen.issuer)
        with CaptureQueriesContext(connection) as queries:
            trust = registry.lookup("did:web:elsewhere.example")
        assert not trust.recognised and len(queries.captured_queries) >= 1


class TestRememberedOnlyWhenAsked:
    def test_signing_and_plain_verification_remember_nothing(self, seen):
        proofs._DOCUMENT_HASHES.clear()
        document = copy.deepcopy(seen.document)
        document.pop("proof")
        secret = keys.private_key(IssuerKey.objects.get())
        vm = seen.document["proof"][0]["verificationMethod"]
        signed = proofs.sign(document, secret, vm, "2026-11-24T00:00:00Z")
        assert verify_credential(signed).ok
        assert proofs._DOCUMENT_HASHES == {}
        assert verify_credential(signed, remember_canonical=True).ok
        assert len(proofs._DOCUMENT_HASHES) == 1

    def test_documents_json_cannot_name_exactly_are_never_remembered(self):
        assert proofs._json_digest({"a": (1, 2)}) is None
        assert proofs._json_digest({1: "a"}) is None
        assert proofs._json_digest({"a": float("nan")}) is None
        assert proofs._json_digest({"a": [1, 2]}) != proofs._json_digest(
            {"a": [1.0, 2]}
        )
        assert proofs._json_digest({"a": 1, "b": 2}) == proofs._json_digest(
            {"b": 2, "a": 1}
        )


class TestEndorsements:
    def test_given_withdrawn_and_renamed_show_at_once(self, client, studios):
        credential = studios["credential"]
        anonymous = client.__class__()
        assert COMMENT not in share(anonymous, credential)
        endorse(client, studios)
        html = share(anonymous, credential)
        assert COMMENT in html and "张明数学工作室" in html
        issuer = Issuer.objects.get(studio=studios["studio"])
        issuer.name = "张明数学名师工作室"
        issuer.save()
        assert "张明数学名师工作室" in share(anonymous, credential)
        services.endorsement_withdraw(
            endorsement=Endorsement.objects.get(), by=studios["leader"]
        )
        assert COMMENT not in share(anonymous, credential)

    def test_another_credential_never_shows_them(self, client, studios):
        endorse(client, studios)
        other = credential_of(studios["member"], title="新时代师德师风专题培训")
        anonymous = client.__class__()
        for _round in range(2):
            assert COMMENT in share(anonymous, studios["credential"])
            assert COMMENT not in share(anonymous, other)


class TestWithoutRedis:
    def test_the_page_verifies_and_shows_endorsements(
        self, client, studios, cache_unreachable
    ):
        endorse(client, studios)
        anonymous = client.__class__()
        html = share(anonymous, studios["credential"])
        assert verdict(html) == "valid" and COMMENT in html
        services.endorsement_withdraw(
            endorsement=Endorsement.objects.get(), by=studios["leader"]
        )
        assert COMMENT not in share(anonymous, studios["credential"])


class TestVerifyApiRemembers:
    """The verify API and page reuse the canonical hash of a document seen
    before in this process; every change to it is still caught."""

    def post(self, client, document):
        import json

        response = client.post(
            reverse("verify_api"),
            data=json.dumps(document, ensure_ascii=False),
            content_type="application/json",
        )
        assert response.status_code == 200
        return response.json()

    def test_a_changed_field_after_the_original_is_still_rejected(self, client, seen):
        proofs._DOCUMENT_HASHES.clear()
        original = copy.deepcopy(seen.document)
        assert self.post(client, original)["verified"] is True
        assert len(proofs._DOCUMENT_HASHES) == 1
        tampered = copy.deepcopy(original)
        tampered["name"] = tampered.get("name", "") + "（改）"
        answer = self.post(client, tampered)
        assert answer["verified"] is False and answer["failed_check"] == "signature"
        assert self.post(client, original)["verified"] is True

    def test_a_revoked_credential_seen_before_is_reported_revoked(
        self, client, seen, district_tree
    ):
        document = copy.deepcopy(seen.document)
        assert self.post(client, document)["verified"] is True
        services.credential_revoke(
            credential=seen, by=hr_user(district_tree["dist_a"]), reason="测试撤销"
        )
        answer = self.post(client, document)
        assert answer["verified"] is False and answer["failed_check"] == "status"

    def test_the_issuer_renamed_shows_in_the_next_answer(self, client, seen):
        """Our issuer's row is kept for the trust registry (badges.trust):
        a rename is the next answer's."""
        document = copy.deepcopy(seen.document)
        first = self.post(client, document)
        assert first["issuer_recognised"] is True
        issuer = Issuer.objects.get(pk=seen.issuer_id)
        issuer.name = "改名后的签发机构"
        issuer.save()
        again = self.post(client, document)
        assert again["issuer"]["registry_entry"]["name"] == "改名后的签发机构"


def test_the_credential_read_with_its_issuer_is_the_orms(seen):
    """The share link's one statement (badges.selectors.credential_with_issuer)
    reads what select_related would: every field, the document as JSON."""
    from django.forms.models import model_to_dict

    from badges import selectors

    loaded = selectors.credential_with_issuer(seen.uid)
    fresh = IssuedCredential.objects.select_related("issuer").get(uid=seen.uid)
    assert model_to_dict(loaded) == model_to_dict(fresh)
    assert loaded.document == fresh.document and isinstance(loaded.document, dict)
    assert loaded.issued_at == fresh.issued_at and loaded.revoked_at == fresh.revoked_at
    assert model_to_dict(loaded.issuer) == model_to_dict(fresh.issuer)
    with CaptureQueriesContext(connection) as queries:
        assert loaded.issuer.name == fresh.issuer.name
    assert len(queries.captured_queries) == 0
    import uuid

    assert selectors.credential_with_issuer(uuid.uuid4()) is None


def test_an_unknown_share_link_is_not_found(client, db):
    import uuid

    response = client.get(reverse("credential_public", args=[uuid.uuid4()]))
    assert response.status_code == 404
