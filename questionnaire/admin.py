"""A read-only admin: catalogue versions are written by load_lens / import_lens only, never edited by hand."""

from __future__ import annotations

from django.contrib import admin

from .models import BestPractice, Lens, LensVersion, Pillar, Question, RiskRule


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Lens)
class LensAdmin(ReadOnlyAdmin):
    list_display = ["slug", "name", "kind", "created_at"]


@admin.register(LensVersion)
class LensVersionAdmin(ReadOnlyAdmin):
    list_display = ["lens", "number", "label", "risk_model", "created_at"]
    list_filter = ["lens"]


@admin.register(Pillar)
class PillarAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "lens_version"]


class BestPracticeInline(admin.TabularInline):
    model = BestPractice
    fields = readonly_fields = ("code", "title", "level", "choice_id")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RiskRuleInline(admin.TabularInline):
    model = RiskRule
    fields = readonly_fields = ("order", "condition", "risk")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "area", "lens_version"]
    list_filter = ["lens_version"]
    inlines = [BestPracticeInline, RiskRuleInline]


@admin.register(BestPractice)
class BestPracticeAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "level", "question"]
    list_filter = ["level", "question__lens_version"]
    search_fields = ["code", "title", "choice_id"]
