from django.test import override_settings

from badges.checks import signing_keys_configured


def test_deploy_check_warns_when_production_has_no_signing_key(tmp_path):
    with override_settings(
        CREDENTIAL_AUTO_KEY=False, CREDENTIAL_KEYS="", CREDENTIAL_KEYS_FILE=""
    ):
        assert [w.id for w in signing_keys_configured(None)] == ["badges.W001"]
    with override_settings(
        CREDENTIAL_AUTO_KEY=False, CREDENTIAL_KEYS="not json", CREDENTIAL_KEYS_FILE=""
    ):
        assert "not a JSON object" in signing_keys_configured(None)[0].msg
    keys = tmp_path / "keys.json"
    keys.write_text("{}")
    with override_settings(
        CREDENTIAL_AUTO_KEY=False, CREDENTIAL_KEYS="", CREDENTIAL_KEYS_FILE=str(keys)
    ):
        assert signing_keys_configured(None) == []
