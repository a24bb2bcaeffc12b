from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm as BaseCreationForm

from .models import User


class UserCreationForm(BaseCreationForm):
    class Meta:
        model = User
        fields = ("school_number", "full_name", "role")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    list_display = ("school_number", "full_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("school_number", "full_name", "email")
    ordering = ("full_name",)
    readonly_fields = ("last_login", "date_joined", "is_staff")
    fieldsets = (
        (None, {"fields": ("school_number", "password")}),
        ("Person", {"fields": ("full_name", "email", "role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("school_number", "full_name", "role", "password1", "password2")}),
    )
