"""A real regional OpenID Connect provider for the tests: the oidc-provider
package (tests/oidc/package-lock.json, installed by `make test-deps`) run by
tests/oidc/provider.mjs on 127.0.0.1, on a free port, for the test session.

Its accounts carry the claims a region's provider gives: sub, name, email and
email_verified, the staff number (工号) and the organisation code (机构代码).
`sign_in_at_provider` drives its login form over HTTP for the tests that use
Django's test client; the browser journey fills the same form in Chromium."""

from __future__ import annotations

import json
import re
import selectors
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.mjs"
CLIENT_ID = "tdl-platform"
CLIENT_SECRET = "test-only-oidc-client-secret"  # noqa: S105
PASSWORD = "Region-pass-2026"  # noqa: S105
SCOPES = ["openid", "profile", "email", "staff"]


def account(sub, name, *, staff=None, org=None, email=None, verified=True):
    claims = {"sub": sub, "name": name}
    if staff is not None:
        claims["staff_number"] = staff
    if org is not None:
        claims["org_code"] = org
    if email is not None:
        claims["email"] = email
        claims["email_verified"] = verified
    return {"password": PASSWORD, "claims": claims}


# Login name -> account. Organisation codes are those of the `district_tree`
# fixture (tests/conftest.py): city C1, districts DA and DB, schools SA1 and
# SA2 (in DA) and SB1 (in DB).
ACCOUNTS = {
    "lin.xiao": account(
        "r-1001", "林晓", staff="OIDC-1001", org="SA1", email="lin.xiao@region.test"
    ),
    "zhou.cross": account(
        "r-1002", "周越", staff="OIDC-1002", org="SA1", email="zhou@region.test"
    ),
    "chen.district": account("r-1003", "陈晨", staff="OIDC-1003", org="DA"),
    "he.noorg": account("r-1004", "何静", staff="OIDC-1004"),
    "ma.unknown": account("r-1005", "马丽", staff="OIDC-9999", org="SA1"),
    "xu.badorg": account("r-1006", "徐然", staff="OIDC-1001", org="NOPE"),
    "wang.unverified": account(
        "r-1007", "王芳", org="SA1", email="wang.fang@region.test", verified=False
    ),
    "wang.verified": account(
        "r-1008", "王芳", org="SA1", email="wang.fang@region.test", verified=True
    ),
    "namesake": account("r-1009", "林晓", org="SA1"),
    "lin.again": account(
        "r-1010", "林晓", staff="OIDC-1001", org="SA1", email="lin2@region.test"
    ),
}


@dataclass
class RegionalProvider:
    issuer: str
    process: subprocess.Popen
    accounts: dict = field(default_factory=lambda: ACCOUNTS)

    def settings(self) -> dict:
        """SOCIALACCOUNT_PROVIDERS pointing at this provider."""
        from cms.settings.base import regional_provider

        return regional_provider(self.issuer, CLIENT_ID, CLIENT_SECRET, SCOPES)


def start(redirect_bases: list[str]) -> RegionalProvider:
    """Start the provider with a client for the sites at `redirect_bases`."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the regional OIDC provider cannot run")
    if not (HERE / "node_modules" / "oidc-provider").exists():
        pytest.fail("run `npm ci` in tests/oidc (make test-deps does this)")
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "client_name": "教师数字素养平台",
        "redirect_uris": [
            f"{base}/accounts/oidc/regional/login/callback/" for base in redirect_bases
        ],
        "post_logout_redirect_uris": [f"{base}/" for base in redirect_bases],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
    }
    folder = Path(tempfile.mkdtemp(prefix="tdl-oidc-"))
    config = folder / "config.json"
    config.write_text(
        json.dumps({"clients": [client], "accounts": ACCOUNTS}, ensure_ascii=False),
        encoding="utf-8",
    )
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [node, str(SCRIPT), str(config)],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    watch = selectors.DefaultSelector()
    watch.register(process.stdout, selectors.EVENT_READ)
    line = process.stdout.readline() if watch.select(timeout=30) else ""
    if not line.startswith("READY "):
        process.kill()
        process.wait()
        log.close()
        pytest.fail(
            "the OIDC test provider did not start: "
            + (folder / "provider.log").read_text(encoding="utf-8")[-2000:]
        )
    return RegionalProvider(issuer=line.split()[1], process=process)


def stop(provider: RegionalProvider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        provider.process.kill()
        provider.process.wait()


def _action(html: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+)"', html)
    assert found, html
    return found.group(1)


def follow_at_provider(browser: requests.Session, url: str, issuer: str):
    """Follow redirects while they stay at the provider; return the last
    response (a page of the provider, or a redirect out of it)."""
    response = browser.get(url, allow_redirects=False, timeout=10)
    while response.is_redirect:
        target = urljoin(response.url, response.headers["Location"])
        if not target.startswith(issuer):
            break
        response = browser.get(target, allow_redirects=False, timeout=10)
    return response


def sign_in_at_provider(
    browser: requests.Session,
    authorize_url: str,
    issuer: str,
    username: str,
    password: str = PASSWORD,
):
    """Log in on the provider's form (unless its session is still on) and
    return the redirect back to the site, or the provider's page if it stays."""
    response = follow_at_provider(browser, authorize_url, issuer)
    if response.is_redirect:
        return response
    action = urljoin(issuer, _action(response.text))
    response = browser.post(
        action,
        data={"username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    if response.is_redirect:
        target = urljoin(issuer, response.headers["Location"])
        return follow_at_provider(browser, target, issuer)
    return response


def site_path(url: str) -> str:
    """The path and query of a redirect back to the site (for the test client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
