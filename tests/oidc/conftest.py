"""The regional OpenID Connect provider for the tests in this folder."""

import pytest

from tests.oidc.provider import start, stop


@pytest.fixture(scope="session")
def regional_provider():
    """The provider, with a client for Django's test client (testserver)."""
    provider = start(["http://testserver"])
    yield provider
    stop(provider)


@pytest.fixture
def regional_settings(settings, regional_provider):
    """The site configured for the regional provider, linking by staff number."""
    settings.SOCIALACCOUNT_PROVIDERS = regional_provider.settings()
    settings.OIDC_LINK_CLAIM = "staff_number"
    return settings
