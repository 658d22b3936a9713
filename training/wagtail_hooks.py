from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import LearningResource


class LearningResourceViewSet(SnippetViewSet):
    model = LearningResource
    icon = "doc-full"
    menu_label = _("推荐学习资源")
    list_display = ["title", "kind", "provider", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["title", "provider"]
    add_to_admin_menu = True


register_snippet(LearningResourceViewSet)
