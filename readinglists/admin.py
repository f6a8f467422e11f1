"""Reading lists in the admin: for superusers only, to look at and delete (a reader's lists are
theirs: curators, who run the papers, do not see them). Nothing is added or changed here: a list
made in the admin would have no link anyone holds. Names are shown through the admin's own
escaping, like any other value."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import ListItem, ReadingList


class SuperusersOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ListItemInline(SuperusersOnly, admin.TabularInline):
    model = ListItem
    fields = ["position", "paper", "note", "is_read", "added_at"]
    readonly_fields = fields
    ordering = ["position", "id"]
    extra = 0


@admin.register(ReadingList)
class ReadingListAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ["display_name", "papers", "created_at", "updated_at"]
    search_fields = ["name"]
    fields = ["name", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [ListItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("items"))

    @admin.display(description=_("name"), ordering="name")
    def display_name(self, obj):
        return obj.display_name

    @admin.display(description=_("papers"), ordering="n")
    def papers(self, obj):
        return obj.n
