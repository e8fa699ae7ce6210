from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """The start page. Each later capability adds its own panel (cases, requests, sign-offs)."""
    user = request.user
    return render(request, "home/my_work.html", {"sites": user.sites.all()})  # type: ignore[union-attr]
