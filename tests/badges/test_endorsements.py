"""Studio leaders endorse their members' credentials: an Open Badges 3.0
EndorsementCredential signed by the studio's own did:web issuer, verifiable on
its own, revocable, and refused to everyone but the studio's leader."""

import copy
import json

import pytest
from django.urls import reverse

from badges import schema, services, statuslist
from badges.models import Endorsement, IssuedCredential, Issuer
from badges.verify import verify_credential
from cms.accounts.models import Notification
from cms.shared.errors import ApplicationError
from tests.factories import hr_user

pytestmark = pytest.mark.django_db

COMMENT = "林晓老师在“人工智能助力课堂教学”中完成了三节示范课，设计扎实，值得推荐。"


def endorse(client, studios, comment=COMMENT):
    client.force_login(studios["leader"])
    url = reverse("credential_endorse", args=[studios["credential"].uid])
    return client.post(url, {"studio": studios["studio"].pk, "comment": comment})


def test_a_leader_endorses_her_members_credential_and_it_verifies(
    client, studios, django_capture_on_commit_callbacks
):
    credential = studios["credential"]
    client.force_login(studios["leader"])
    # She finds it on her members' credentials page.
    page = client.get(reverse("endorse_members"))
    assert page.status_code == 200
    assert credential.name in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = endorse(client, studios)
    endorsement = Endorsement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == endorsement.get_absolute_url()

    document = endorsement.document
    assert document["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert document["credentialSubject"] == {
        "id": f"urn:uuid:{credential.uid}",
        "type": ["EndorsementSubject"],
        "endorsementComment": COMMENT,
    }
    assert document["credentialStatus"]["type"] == "BitstringStatusListEntry"
    proof = document["proof"][0]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"

    # Signed by the studio's own issuer, with its own key and DID document.
    issuer = Issuer.objects.get(studio=studios["studio"])
    assert issuer.is_studio and not issuer.is_platform
    assert document["issuer"]["id"] == issuer.did
    assert document["issuer"]["id"].endswith(f":issuers:studio-{studios['studio'].pk}")
    assert document["issuer"]["name"] == "张明数学工作室"
    assert proof["verificationMethod"].startswith(issuer.did + "#")
    did_doc = client.get(reverse("issuer_did", args=[issuer.slug])).json()
    assert did_doc["id"] == issuer.did
    assert proof["verificationMethod"] in did_doc["assertionMethod"]
    assert issuer.keys.count() == 1
    # A credit credential's issuer is still the school's organisation / platform.
    assert credential.issuer != issuer

    # Our verifier: every check passes, against the 1EdTech schema, and it
    # says what is endorsed.
    report = verify_credential(document)
    assert report.ok, report.as_dict()
    checks = {c.code: c.ok for c in report.checks}
    assert checks == {
        "format": True,
        "schema": True,
        "issuer_key": True,
        "signature": True,
        "status": True,
        "dates": True,
    }
    assert report.trust.kind == "studio"
    assert report.summary["endorses"] == f"urn:uuid:{credential.uid}"
    assert report.summary["endorses_name"] == credential.name
    assert report.summary["endorsement_comment"] == COMMENT
    assert schema.validator("EndorsementCredential").is_valid(document)

    # Its public page verifies it and says what it endorses.
    anonymous = client.__class__()
    body = anonymous.get(endorsement.get_absolute_url()).content.decode()
    assert 'data-result="valid"' in body
    assert credential.name in body and COMMENT in body
    assert (
        anonymous.get(reverse("endorsement_json", args=[endorsement.uid])).json()["id"]
        == document["id"]
    )

    # The credential's share page and her own pages show it with its verify link.
    verify_link = reverse("endorsement_public", args=[endorsement.uid])
    body = anonymous.get(credential.get_absolute_url()).content.decode()
    assert COMMENT in body and verify_link in body
    client.force_login(studios["member"].user)
    assert verify_link in client.get(reverse("my_credentials")).content.decode()
    portrait = client.get(reverse("my_portrait")).content.decode()
    assert verify_link in portrait and "张明数学工作室背书" in portrait
    assert Notification.objects.filter(
        user=studios["member"].user, url=endorsement.get_absolute_url()
    ).exists()


def test_the_verify_api_verifies_an_endorsement_on_its_own(client, studios):
    endorse(client, studios)
    document = Endorsement.objects.get().document
    response = client.post(
        reverse("verify_api"), json.dumps(document), content_type="application/json"
    )
    result = response.json()
    assert result["verified"] is True
    assert result["credential"]["type"] == "EndorsementCredential"
    assert result["credential"]["endorses_name"] == studios["credential"].name
    assert result["issuer"]["registry_entry"]["kind"] == "studio"
    page = client.post(reverse("verify_page"), {"credential": json.dumps(document)})
    assert 'id="endorses"' in page.content.decode()


def test_a_tampered_endorsement_fails_the_named_check(client, studios):
    endorse(client, studios)
    document = Endorsement.objects.get().document

    changed = copy.deepcopy(document)
    changed["credentialSubject"]["endorsementComment"] = COMMENT.replace("扎实", "扎宝")
    report = verify_credential(changed)
    assert not report.ok and report.failed_check == "signature"

    # Pointing the endorsement at another credential breaks the signature too.
    other = IssuedCredential.objects.exclude(pk=studios["credential"].pk).first()
    moved = copy.deepcopy(document)
    moved["credentialSubject"]["id"] = f"urn:uuid:{other.uid}"
    assert verify_credential(moved).failed_check == "signature"

    # Without the EndorsementSubject type it is not an OB 3.0 endorsement.
    untyped = copy.deepcopy(document)
    untyped["credentialSubject"]["type"] = ["AchievementSubject"]
    report = verify_credential(untyped)
    assert report.failed_check == "schema"
    assert "credentialSubject" in report.own_failure.message


def test_withdrawal_asks_first_then_revokes(client, studios):
    endorse(client, studios)
    endorsement = Endorsement.objects.get()
    url = reverse("endorsement_withdraw", args=[endorsement.uid])
    assert url in client.get(endorsement.get_absolute_url()).content.decode()

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "确认撤回" in confirm.content.decode()
    endorsement.refresh_from_db()
    assert endorsement.revoked_at is None

    response = client.post(url, {"reason": "证书信息需要更正"})
    assert response.status_code == 302
    endorsement.refresh_from_db()
    assert endorsement.revoked_at is not None
    assert endorsement.revoke_reason == "证书信息需要更正"
    assert statuslist.is_revoked(endorsement.status_list, endorsement.status_index)

    report = verify_credential(endorsement.document)
    assert not report.ok and report.failed_check == "status" and report.revoked
    # The published status list says so too.
    published = client.get(
        endorsement.document["credentialStatus"]["statusListCredential"]
    )
    bits = statuslist.decode_list(published.json()["credentialSubject"]["encodedList"])
    assert statuslist.get_bit(bits, endorsement.status_index)

    body = client.get(studios["credential"].get_absolute_url()).content.decode()
    assert COMMENT not in body and "暂无工作室背书" in body
    # The endorsed credential itself is untouched.
    assert verify_credential(studios["credential"].document).ok


def test_one_live_endorsement_per_leader_a_new_comment_replaces_it(client, studios):
    endorse(client, studios)
    endorse(client, studios)  # the same comment again: nothing new
    assert Endorsement.objects.count() == 1
    first = Endorsement.objects.get()

    endorse(client, studios, comment="补充：她的课例已在区内推广。")
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert verify_credential(first.document).failed_check == "status"
    live = Endorsement.objects.get(revoked_at__isnull=True)
    assert live.comment == "补充：她的课例已在区内推广。"
    assert verify_credential(live.document).ok
    assert Endorsement.objects.count() == 2


@pytest.mark.parametrize("who", ["other_leader", "peer", "hr", "member"])
def test_only_the_leader_of_her_studio_may_endorse(client, studios, who):
    credential = studios["credential"]
    user = {
        "other_leader": studios["other_leader"],
        "peer": studios["peer"].user,
        "member": studios["member"].user,
        "hr": hr_user(studios["member"].school),
    }[who]
    client.force_login(user)
    url = reverse("credential_endorse", args=[credential.uid])
    assert client.get(url).status_code == 403
    response = client.post(url, {"studio": studios["studio"].pk, "comment": COMMENT})
    assert response.status_code == 403
    assert b"endorse-button" not in client.get(credential.get_absolute_url()).content
    for studio in (studios["studio"], studios["other_studio"]):
        with pytest.raises(ApplicationError, match="只有证书持有人所在工作室的主持人"):
            services.endorsement_issue(
                credential=credential, studio=studio, by=user, comment=COMMENT
            )
    assert not Endorsement.objects.exists()
    if who != "other_leader":
        assert client.get(reverse("endorse_members")).status_code == 403


def test_refusals_change_nothing(client, studios):
    credential = studios["credential"]
    leader = studios["leader"]
    client.force_login(leader)
    url = reverse("credential_endorse", args=[credential.uid])

    response = client.post(url, {"studio": studios["studio"].pk, "comment": "  "})
    assert response.status_code == 400
    assert "请填写背书意见" in response.content.decode()
    response = client.post(
        url, {"studio": studios["studio"].pk, "comment": "好" * 1001}
    )
    assert response.status_code == 400
    # Not through a studio she does not lead.
    response = client.post(url, {"studio": studios["other_studio"].pk, "comment": "x"})
    assert response.status_code == 400
    assert not Endorsement.objects.exists()

    # A revoked credential cannot be endorsed.
    services.credential_revoke(credential=credential, by=leader, reason="重复记录")
    assert client.get(url).status_code == 403

    # Only she (or the studio's leader) withdraws her endorsement.
    other = IssuedCredential.objects.filter(
        teacher=studios["member"], revoked_at__isnull=True
    ).first()
    endorsement = services.endorsement_issue(
        credential=other, studio=studios["studio"], by=leader, comment=COMMENT
    )
    withdraw = reverse("endorsement_withdraw", args=[endorsement.uid])
    for user in (studios["other_leader"], studios["member"].user):
        client.force_login(user)
        assert client.post(withdraw).status_code == 403
        assert (
            b"withdraw-link" not in client.get(endorsement.get_absolute_url()).content
        )
    endorsement.refresh_from_db()
    assert endorsement.revoked_at is None


def test_a_former_member_is_no_longer_endorsed(client, studios):
    from cms.studios import services as studio_services
    from cms.studios.models import Membership

    membership = Membership.objects.get(
        studio=studios["studio"], teacher=studios["member"]
    )
    studio_services.membership_end(membership=membership, by=studios["leader"])
    response = endorse(client, studios)
    assert response.status_code == 403
    assert not Endorsement.objects.exists()


def test_the_endorsement_schema_is_the_published_ob_definition():
    """badges/schemas/ob_v3p0_endorsementcredential_schema.json is the
    EndorsementCredential definition of the OB 3.0 schema we ship, at the root."""
    endorsement = schema._schema("EndorsementCredential")
    achievement = schema._schema("OpenBadgeCredential")
    definition = achievement["$defs"]["EndorsementCredential"]
    root = {
        k: v
        for k, v in endorsement.items()
        if k not in ("$schema", "$id", "title", "$defs")
    }
    assert root == definition
    assert endorsement["$schema"] == achievement["$schema"]
    for name, value in endorsement["$defs"].items():
        assert achievement["$defs"][name] == value
    assert endorsement["$id"].endswith("/ob_v3p0_endorsementcredential_schema.json")


def test_an_endorsing_studio_cannot_be_deleted_in_the_admin(client, studios):
    from tests.factories import UserFactory

    endorse(client, studios)
    studio = studios["studio"]
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("wagtailadmin_pages:delete", args=[studio.pk])
    response = client.post(url, follow=True)
    assert "已签发背书" in response.content.decode()
    studio.refresh_from_db()
    assert verify_credential(Endorsement.objects.get().document).ok
    # A studio that never endorsed is deleted as before.
    other = studios["other_studio"]
    client.post(reverse("wagtailadmin_pages:delete", args=[other.pk]))
    assert not type(other).objects.filter(pk=other.pk).exists()


def test_without_automatic_keys_the_studio_is_refused_until_given_one(
    client, studios, settings
):
    from badges import keys

    settings.CREDENTIAL_AUTO_KEY = False
    settings.CREDENTIAL_STUDIO_AUTO_KEY = False
    response = endorse(client, studios)
    assert response.status_code == 400
    assert "工作室的签名密钥暂不可用" in response.content.decode()
    assert not Endorsement.objects.exists()
    # The refused attempt made the studio's issuer; an operator gives it a key.
    issuer = Issuer.objects.get(studio=studios["studio"])
    assert not issuer.keys.exists()
    keys.key_generate(issuer)
    assert endorse(client, studios).status_code == 302
    assert verify_credential(Endorsement.objects.get().document).ok
