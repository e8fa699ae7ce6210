from django.contrib import admin

from liaison.audit.admin import AuditedModelAdmin
from liaison.org.models import Department, Site, StaffMember


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "policy_pack", "time_zone", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ["name", "site", "code", "is_active"]
    list_filter = ["site", "is_active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["leads"]


@admin.register(StaffMember)
class StaffMemberAdmin(AuditedModelAdmin):
    list_display = ["full_name", "job_title", "staff_group", "department", "site"]
    list_filter = ["site", "staff_group"]
    search_fields = ["full_name", "job_title"]
    autocomplete_fields = ["department"]
