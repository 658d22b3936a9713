from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cms.accounts"
    label = "accounts"
    verbose_name = _("账号与组织")

    def ready(self):
        from . import adapter, scopecache

        scopecache.connect()
        adapter.connect()
