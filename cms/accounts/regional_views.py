"""The regional provider's callback (统一身份认证): allauth's own, keeping what
logout needs. allauth reads the ID token's claims but drops the token itself;
RP-initiated logout sends it back to the provider as id_token_hint, so this
callback (routed in cms/urls.py ahead of allauth's, same path and name) keeps
it with the provider's end_session_endpoint. cms.accounts.adapter moves it
into the session once the login succeeds."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import (
    OpenIDConnectOAuth2Adapter,
)
from django.contrib.auth.decorators import login_not_required
from django.http import Http404

from .regional import SESSION_PENDING


class RegionalAdapter(OpenIDConnectOAuth2Adapter):
    def complete_login(self, request, app, token, **kwargs):
        login = super().complete_login(request, app, token, **kwargs)
        pending = {
            "provider": self.provider_id,
            "id_token": kwargs["response"].get("id_token", ""),
            "end_session_endpoint": self.openid_config.get("end_session_endpoint", ""),
            "client_id": app.client_id,
        }
        # On the request too: logging in flushes the session of anyone who
        # was signed in already.
        request.session[SESSION_PENDING] = pending
        request.regional_oidc_pending = pending
        return login


@login_not_required
def callback(request, provider_id):
    try:
        view = OAuth2CallbackView.adapter_view(RegionalAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
