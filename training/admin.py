"""Platform admins maintain frameworks and instruments without code.

Editing an instrument that teachers have already started does not change it:
the edits are saved as a new version (see services.instrument_revise)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Competency, Framework, Instrument, InstrumentItem


class CompetencyInline(admin.TabularInline):
    model = Competency
    fields = ("code", "name", "name_en", "level", "parent")
    extra = 0
    ordering = ("sort_key",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Competency.objects.exclude(
                level=Competency.Level.INDICATOR
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "standard_number", "publisher")
    inlines = [CompetencyInline]


class ItemInline(admin.StackedInline):
    model = InstrumentItem
    fields = ("position", "indicator", "prompt", "descriptors")
    extra = 0


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("title", "family", "version", "is_current", "created_at")
    list_filter = ("family", "is_current")
    readonly_fields = ("family", "version", "is_current", "framework")
    fields = (
        "framework",
        "family",
        "version",
        "is_current",
        "title",
        "instructions",
        "levels",
        "scoring",
    )
    inlines = [ItemInline]

    def has_add_permission(self, request):
        return False  # versions come from data files or from revising one

    def save_model(self, request, obj, form, change):
        self._changes = {f: form.cleaned_data[f] for f in form.changed_data}

    def save_related(self, request, form, formsets, change):
        item_changes = {}
        for formset in formsets:
            for item_form in formset.forms:
                if item_form.has_changed() and item_form.instance.pk:
                    item_changes[item_form.instance.position] = {
                        f: item_form.cleaned_data[f] for f in item_form.changed_data
                    }
        original = form.instance
        revised = services.instrument_revise(
            instrument=Instrument.objects.get(pk=original.pk),
            changes=self._changes,
            item_changes=item_changes,
        )
        if revised.pk != original.pk:
            messages.info(
                request,
                _("已有教师使用该版本作答，修改已保存为第 %(v)d 版。")
                % {"v": revised.version},
            )

    def construct_change_message(self, request, form, formsets, add=False):
        return [{"changed": {"fields": list(form.changed_data)}}]
