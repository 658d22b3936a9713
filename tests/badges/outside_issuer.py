"""Another platform's credential issuer for tests: its own Ed25519 key, a
did:key or a did:web whose DID document and Bitstring Status List are served
by a real HTTP server on 127.0.0.1, and Open Badges 3.0 credentials signed with
the project's signing code."""

from __future__ import annotations

import gzip
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from badges import jsonld, proofs
from badges.models import TrustedIssuer
from badges.multikey import (
    generate_private_key,
    multibase_b64url_encode,
    public_key_to_multibase,
)

LIST_SIZE = 131_072


class Served(BaseHTTPRequestHandler):
    documents: dict = {}

    def do_GET(self):  # noqa: N802 - the http.server name
        document = self.documents.get(self.path)
        if document is None:
            self.send_response(404)
            self.end_headers()
            return
        if isinstance(document, str):  # "a path": answer with a redirect there
            self.send_response(302)
            self.send_header("Location", document)
            self.end_headers()
            return
        body = json.dumps(document, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def serve():
    """(port, documents): a real HTTP server on 127.0.0.1 answering each path
    in ``documents`` (changed as the test goes) with its JSON."""
    documents: dict = {}
    handler = type("Handler", (Served,), {"documents": documents})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], documents
    finally:
        httpd.shutdown()
        httpd.server_close()


class OtherIssuer:
    """Another platform's issuer: its own key, DID and revocation list."""

    def __init__(self, *, name: str, port: int | None = None, served=None):
        self.secret = generate_private_key()
        self.public = public_key_to_multibase(self.secret.public_key())
        self.name = name
        self.served = served
        if port is None:
            self.did = f"did:key:{self.public}"
            self.vm = f"{self.did}#{self.public}"
        else:
            self.did = f"did:web:127.0.0.1%3A{port}:issuers:other"
            self.vm = f"{self.did}#key-1"
            self.base = f"http://127.0.0.1:{port}"
            self.list_url = f"{self.base}/status/1"
            self.revoked = bytearray(LIST_SIZE // 8)
            served["/issuers/other/did.json"] = self.did_document()
            self.publish_list()

    def did_document(self) -> dict:
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did,
            "verificationMethod": [
                {
                    "id": self.vm,
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": self.public,
                }
            ],
            "assertionMethod": [self.vm],
        }

    def publish_list(self) -> None:
        document = {
            "@context": [jsonld.VC_V2],
            "id": self.list_url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.did,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{self.list_url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": multibase_b64url_encode(
                    gzip.compress(bytes(self.revoked), mtime=0)
                ),
            },
        }
        self.served["/status/1"] = self.sign(document)

    def revoke(self, index: int) -> None:
        self.revoked[index // 8] |= 0x80 >> (index % 8)
        self.publish_list()

    def sign(self, unsigned: dict) -> dict:
        return proofs.sign(unsigned, self.secret, self.vm, "2026-03-01T08:00:00Z")

    def trust(self, name=None) -> TrustedIssuer:
        return TrustedIssuer.objects.create(
            did=self.did,
            name=name or self.name,
            did_document=None
            if self.did.startswith("did:key")
            else self.did_document(),
        )

    def badge(
        self,
        n: int,
        *,
        title="人工智能与学科教学融合（高校研修）",
        kind="Course",
        credits=2,
        tags=("学科",),
        holder="林晓",
        status_index: int | None = None,
        valid_until: str | None = None,
        earned="2026-03-01",
        unsigned=False,
    ) -> dict:
        document = {
            "@context": [jsonld.VC_V2, jsonld.OB_V3],
            "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": self.did, "type": ["Profile"], "name": self.name},
            "validFrom": f"{earned}T08:00:00Z",
            "name": title,
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "identityType": "ext:name",
                        "hashed": False,
                        "identityHash": holder,
                    }
                ],
                "achievement": {
                    "id": f"https://other.example.edu.cn/achievements/{n}",
                    "type": ["Achievement"],
                    "achievementType": kind,
                    "name": title,
                    "description": "校外研修",
                    "criteria": {"narrative": "完成全部学习并通过考核。"},
                    "tag": list(tags),
                    "alignment": [
                        {
                            "type": ["Alignment"],
                            "targetName": "2.1 数字化教学设计",
                            "targetUrl": "https://example.org/framework/2.1",
                            "targetCode": "2.1",
                        }
                    ],
                },
                "creditsEarned": credits,
                "activityEndDate": f"{earned}T00:00:00Z",
            },
        }
        if valid_until:
            document["validUntil"] = valid_until
        if status_index is not None:
            document["credentialStatus"] = {
                "id": f"{self.list_url}#{status_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(status_index),
                "statusListCredential": self.list_url,
            }
        return document if unsigned else self.sign(document)
