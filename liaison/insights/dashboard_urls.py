"""The insights pages under /insights/ (dashboards, workload, report subscriptions)."""

from django.urls import URLPattern, path

from liaison.insights import subscription_views, views, workload_views

# -- The dashboard and its drill-down ------------------------------------------------------------------------
urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.drilldown, name="drilldown"),
    path("cases.<str:fmt>", views.drilldown_export, name="drilldown_export"),
]

# -- Workload and report subscriptions (managers' workload view, scheduled board report) ---------------------
urlpatterns += [
    path("workload/", workload_views.workload_page, name="workload"),
    path("workload/cases/", workload_views.workload_case_list, name="workload-cases"),
    path("subscriptions/", subscription_views.subscriptions, name="subscriptions"),
    path("subscriptions/stop/", subscription_views.subscription_stop, name="subscription-stop"),
]
# -- End of workload and report subscriptions ----------------------------------------------------------------
