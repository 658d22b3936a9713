from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Rubric


class RubricViewSet(SnippetViewSet):
    model = Rubric
    icon = "list-ol"
    menu_label = _("评分量规")
    add_to_admin_menu = True
    list_display = ["title", "pass_percent"]


register_snippet(RubricViewSet)
