"""Admin pages that show rows without changing them."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the services write (they keep each pair's N ratings, its stage and
    exclusion): the admin lists and shows them, never adds, changes or deletes."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
