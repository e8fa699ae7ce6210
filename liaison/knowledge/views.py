from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation

from liaison.accounts.models import User
from liaison.cases import selectors as case_selectors
from liaison.knowledge import selectors, services
from liaison.knowledge.content import article_public_url, render_body, render_body_and_problem
from liaison.knowledge.forms import ArticleForm, EditForm, PublicSearchForm, SendForm, StaffSearchForm
from liaison.knowledge.models import Article, Language
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

# -- Public: no sign-in; only public articles, in the reader's language ---------------------------------------


def _public_site(site_code: str) -> Site:
    return get_object_or_404(Site, code=site_code, is_active=True)


def _reader_language() -> str:
    language = (translation.get_language() or "").split("-")[0]
    return language if language in Language.values else selectors.FALLBACK_LANGUAGE


def _language_from_link(request: HttpRequest) -> HttpResponseRedirect | None:
    """A link with ?lang=es (from a letter or email) switches the reader to that language, then drops the
    parameter so the language switch on the page keeps working."""
    language = request.GET.get("lang", "")
    if language not in Language.values:
        return None
    rest = request.GET.copy()
    del rest["lang"]
    response = HttpResponseRedirect(request.path + (f"?{rest.urlencode()}" if rest else ""))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


@login_not_required
def public_list(request: HttpRequest, site_code: str) -> HttpResponse:
    site = _public_site(site_code)
    if switch := _language_from_link(request):
        return switch
    form = PublicSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_bound and form.is_valid() else ""
    language = _reader_language()
    groups = selectors.public_articles(site=site, language=language, query=query)
    return render(
        request,
        "knowledge/public_list.html",
        {"site": site, "form": form, "query": query, "groups": groups, "language": language},
    )


@login_not_required
def public_detail(request: HttpRequest, site_code: str, key: str) -> HttpResponse:
    site = _public_site(site_code)
    if switch := _language_from_link(request):
        return switch
    language = _reader_language()
    article = selectors.public_article(site=site, key=key, language=language)
    current = article.current
    return render(
        request,
        "knowledge/public_detail.html",
        {
            "site": site,
            "article": article,
            "version": current,
            "body": render_body(current.body, site),
            "fallback": article.language != language,
        },
    )


# -- Staff: officers, managers and administrators of the article's site -----------------------------------------


def _reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not selectors.can_read(user):
        raise Http404
    return user


def staff_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = StaffSearchForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = selectors.StaffFilters(q=cleaned.get("q") or "", due_for_review=bool(cleaned.get("due")))
    return render(
        request,
        "knowledge/staff_list.html",
        {
            "form": form,
            "filters": filters,
            "articles": selectors.staff_list(user=user, filters=filters),
            "review_cutoff": selectors.review_cutoff(),
            "can_write": selectors.can_edit(user),
            "several_sites": len(user.site_ids) > 1,
        },
    )


def article_new(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    if not selectors.can_edit(user):
        raise Http404
    initial = {"review_date": timezone.localdate() + timedelta(days=services.REVIEW_AFTER_DAYS), "owner": user}
    form = ArticleForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.article_create(
                acting_user=user,
                site=data["site"],
                key=data["key"],
                language=data["language"],
                category=data["category"],
                visibility=data["visibility"],
                owner=data["owner"],
                review_date=data["review_date"],
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Article saved as version 1.")
            return redirect("knowledge:staff-detail", pk=article.pk)
    return render(request, "knowledge/article_form.html", {"form": form, "article": None})


def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    article = selectors.get_article_for_user(user=user, pk=pk)
    history = list(selectors.versions_of(article))
    if not history:
        raise Http404
    wanted = request.GET.get("version", "")
    shown = next((v for v in history if str(v.version) == wanted), history[0])
    translations = Article.objects.filter(site=article.site, key=article.key).exclude(pk=article.pk)
    body, body_problem = render_body_and_problem(shown.body, article.site)
    return render(
        request,
        "knowledge/staff_detail.html",
        {
            "article": article,
            "version": shown,
            "is_current": shown == history[0],
            "body": body,
            "body_problem": body_problem,
            "history": history,
            "translations": translations,
            "public_url": article_public_url(article) if article.is_public else "",
            "can_edit": selectors.can_edit(user, article.site_id),
        },
    )


def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    article = selectors.get_article_for_user(user=user, pk=pk)
    if not selectors.can_edit(user, article.site_id):
        raise Http404
    current = selectors.versions_of(article).first()
    if current is None:
        raise Http404
    initial = {
        "version": current.version,
        "category": article.category,
        "visibility": article.visibility,
        "owner": article.owner,
        "review_date": article.review_date,
        "title": current.title,
        "summary": current.summary,
        "body": current.body,
    }
    form = EditForm(request.POST or None, initial=initial, site=article.site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.article_update(
                acting_user=user,
                article=article,
                expected_version=data["version"],
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                note=data["note"],
                category=data["category"],
                visibility=data["visibility"],
                owner=data["owner"],
                review_date=data["review_date"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if version.version != current.version:
                messages.success(request, f"Saved as version {version.version}. Earlier versions stay in the history.")
            else:
                messages.success(request, "Saved. The wording did not change, so there is no new version.")
            return redirect("knowledge:staff-detail", pk=article.pk)
    return render(request, "knowledge/article_form.html", {"form": form, "article": article, "current": current})


def article_send(request: HttpRequest, reference: str) -> HttpResponse:
    """An officer emails the link to one of the site's public articles to the case's complainant."""
    user: User = request.user  # type: ignore[assignment]
    if not case_selectors.can_see_identity(user):
        raise Http404
    case = case_selectors.get_case_for_user(user=user, reference=reference)
    articles = {a.pk: a for a in selectors.sendable_articles(site=case.site)}
    choices = [(pk, f"{a.current.title} ({a.get_language_display()})") for pk, a in articles.items()]
    language = case.preferred_language if case.preferred_language in Language.values else Language.ENGLISH
    preferred = next((pk for pk, a in articles.items() if a.language == language), None)
    form = SendForm(request.POST or None, choices=choices, initial={"article": preferred})
    if request.method == "POST" and form.is_valid():
        try:
            services.article_send(acting_user=user, case=case, article=articles[form.cleaned_data["article"]])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The article's link was emailed to the complainant and noted on the timeline.")
            return redirect("cases:detail", reference=case.reference)
    return render(request, "knowledge/send.html", {"case": case, "form": form, "has_articles": bool(articles)})
