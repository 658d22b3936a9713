"""Run the reference JavaScript verifier (tests/interop) over our credentials.

`make test` installs it (`npm ci` in tests/interop). Every context and DID
document it needs is handed over in the bundle; it fetches nothing."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from badges import jsonld, keys
from badges.models import Issuer

INTEROP = Path(__file__).resolve().parents[1] / "interop"


def documents() -> dict:
    docs = {url: jsonld.context_document(url) for url in jsonld.PINNED}
    for issuer in Issuer.objects.prefetch_related("keys"):
        docs[keys.issuer_did(issuer)] = keys.did_document(issuer)
    return docs


def run(bundle: dict, tmp_path: Path) -> dict:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    if not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").exists():
        pytest.fail("run `npm ci` in tests/interop (make test does this)")
    path = tmp_path / f"bundle-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        ["node", str(INTEROP / "verify.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def js_verify(
    credentials: list[dict], tmp_path: Path, extra: dict | None = None
) -> list[dict]:
    bundle = {"documents": {**documents(), **(extra or {})}, "credentials": credentials}
    return run(bundle, tmp_path)["results"]
