"""The verify API under the payloads of the outside audit: how long the worst
one takes to be answered (the goal is under one second for anything up to the
2 MB body limit).

Payloads (all made here, signed with a fresh did:key by the project's own
signing code; nothing is fetched):

- forged badge: a good signature from an unregistered did:key (the baseline:
  fully verified, answered "issuer not recognised");
- nested 300 deep: a 7 KB badge whose criteria nest 300 levels;
- 2 MB CLR: ~850 copies of one badge with a wrong outer proof;
- CLR at the cap: as many copies as one request may carry, wrong outer proof
  (the largest document that is canonicalised);
- CLR at the cap, good outer proof: every credential inside is opened, within
  the time budget;
- 2 MB string: one badge whose description is ~2 MB of text;
- Content-Length: abc.

Usable two ways:
- `run(port) -> dict`: against a server on 127.0.0.1:port (bench/run.py's
  gunicorn), returns {"job", "seconds" (worst case), "note", "cases"};
- standalone: `python bench/verify_attacks.py --port 8000` (a running server;
  DJANGO_SETTINGS_MODULE must be importable to build the payloads), prints
  the same as one JSON line plus a table.

The verify API allows 30 requests a minute per client; this sends 18.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATH = "/api/v1/credentials/verify"
ROUNDS = 2


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
    import django

    django.setup()


def _badge() -> dict:
    from badges import jsonld

    return {
        "@context": [jsonld.VC_V2, jsonld.OB_V3],
        "id": "urn:uuid:5f0e3c1a-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "", "type": ["Profile"], "name": "教师数字素养平台"},
        "validFrom": "2026-01-05T08:00:00Z",
        "name": "人工智能助力课堂教学（999学时）",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "ext:name",
                    "hashed": False,
                    "identityHash": "林晓",
                }
            ],
            "achievement": {
                "id": "https://example.org/achievements/ai-teaching",
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": "人工智能助力课堂教学",
                "description": "在线课程",
                "criteria": {"narrative": "完成全部课时并通过测验。"},
            },
            "creditsEarned": 999,
        },
    }


def payloads() -> list[tuple[str, bytes, dict]]:
    """(name, body, extra headers) for each attack."""
    _django()
    from badges import proofs, views
    from badges.multikey import generate_private_key, public_key_to_multibase

    secret = generate_private_key()
    encoded = public_key_to_multibase(secret.public_key())
    did = f"did:key:{encoded}"
    vm = f"{did}#{encoded}"

    def sign(document):
        document = copy.deepcopy(document)
        document["issuer"]["id"] = did
        return proofs.sign(document, secret, vm, "2026-01-05T08:00:00Z")

    def body(document):
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    badge = sign(_badge())

    # (It cannot be signed: no context defines criteria inside criteria; the
    # badge's own proof rides along, and is never reached.)
    deep = copy.deepcopy(badge)
    node = {"narrative": "完成课程"}
    for _ in range(300):
        node = {"narrative": "完成课程", "criteria": node}
    deep["credentialSubject"]["achievement"]["criteria"] = node

    def clr(copies, *, good_proof):
        from badges import jsonld

        document = {
            "@context": [jsonld.VC_V2, jsonld.CLR_V2, jsonld.OB_V3],
            "id": "urn:uuid:5f0e3c1a-0000-4000-8000-0000000000c1",
            "type": ["VerifiableCredential", "ClrCredential"],
            "issuer": {"id": "", "type": ["Profile"], "name": "教师数字素养平台"},
            "validFrom": "2026-01-05T08:00:00Z",
            "name": "继续教育学分证明",
            "credentialSubject": {
                "type": ["ClrSubject"],
                "identifier": badge["credentialSubject"]["identifier"],
                "achievement": [badge["credentialSubject"]["achievement"]],
                "verifiableCredential": [badge] * copies,
            },
        }
        signed = sign(document)
        if not good_proof:
            proof = signed["proof"][0]
            proof["proofValue"] = proof["proofValue"][:-4] + "1111"
        return signed

    per_copy = len(body(badge))
    big = clr(int(1.9 * 1024 * 1024 / per_copy), good_proof=False)

    text = _badge()
    text["credentialSubject"]["achievement"]["description"] = "学" * (650 * 1024)
    text = sign(text)

    return [
        ("forged badge (did:key, intact)", body(badge), {}),
        ("badge nested 300 deep", body(deep), {}),
        ("2 MB CLR, copies of one badge, wrong proof", body(big), {}),
        (
            f"CLR at the cap ({views.MAX_EMBEDDED}), wrong proof",
            body(clr(views.MAX_EMBEDDED, good_proof=False)),
            {},
        ),
        (
            f"CLR at the cap ({views.MAX_EMBEDDED}), good proof",
            body(clr(views.MAX_EMBEDDED, good_proof=True)),
            {},
        ),
        ("2 MB of text in one badge", body(text), {}),
        ("Content-Length: abc", b"{}", {"Content-Length": "abc"}),
    ]


def _post(port: int, body: bytes, headers: dict) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.putrequest("POST", PATH, skip_host=True, skip_accept_encoding=True)
    sent = {
        "Host": "127.0.0.1",
        "X-Forwarded-Proto": "https",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **headers,
    }
    for name, value in sent.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(body)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, elapsed


def run(port: int, rounds: int = ROUNDS, warmup: int = 4) -> dict:
    cases = []
    made = payloads()
    # A fresh worker loads its contexts on its first canonicalisation, as
    # bench/run.py warms each page; that is start-up, not an answer's cost.
    for _ in range(warmup):
        _post(port, made[0][1], made[0][2])
    for name, body, headers in made:
        times, statuses = [], []
        for _ in range(rounds):
            status, seconds = _post(port, body, headers)
            times.append(seconds)
            statuses.append(status)
        cases.append(
            {
                "payload": name,
                "bytes": len(body),
                "status": statuses[-1],
                "worst_ms": round(max(times) * 1000, 1),
            }
        )
    worst = max(cases, key=lambda c: c["worst_ms"])
    return {
        "job": "verify API, worst attack payload",
        "seconds": round(worst["worst_ms"] / 1000, 3),
        "note": f"{worst['payload']} (goal < 1 s)",
        "cases": cases,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    result = run(args.port, args.rounds)
    print(json.dumps(result, ensure_ascii=False))
    for case in result["cases"]:
        print(
            f"   {case['payload'][:48]:48} {case['bytes']:>9} B  "
            f"{case['status']}  {case['worst_ms']:>8} ms"
        )
    print(f"worst: {result['seconds']} s — {result['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
