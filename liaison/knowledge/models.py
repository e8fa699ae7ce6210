"""The knowledge base: articles for patients (rights, how to complain, where else to go, policies, FAQs)
and for staff, each kept per language as a series of versions.

An :class:`Article` is the identity (site, key, language, category, visibility, owner, review date); what it
says lives in :class:`ArticleVersion` rows. Editing adds a version; the current version is the highest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    RIGHTS = "rights", _("Your rights")
    HOW_TO_COMPLAIN = "how_to_complain", _("How to complain")
    WHERE_ELSE = "where_else", _("Where else you can go")
    POLICY = "policy", _("Hospital policies")
    FAQ = "faq", _("Questions and answers")


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal (staff only)"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class Article(models.Model):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="articles")
    key = models.SlugField(
        max_length=80, help_text="Names the article in its public address; the same key joins its translations."
    )
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    category = models.CharField(max_length=20, choices=Category.choices)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Keeps the article accurate and reviews it.",
    )
    review_date = models.DateField(help_text="When the owner must next check that the article is still right.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set on articles read through liaison.knowledge.selectors (with_current, attach_current).
    current: ArticleVersion

    class Meta:
        ordering = ["site__name", "category", "key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["site", "key", "language"], name="knowledge_article_key_unique"),
            models.CheckConstraint(condition=models.Q(category__in=Category.values), name="knowledge_article_category"),
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values), name="knowledge_article_visibility"
            ),
            models.CheckConstraint(condition=models.Q(language__in=Language.values), name="knowledge_article_language"),
        ]

    def __str__(self) -> str:
        return f"{self.key}.{self.language} ({self.site_id})"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def is_due_for_review(self) -> bool:
        return self.review_date <= timezone.localdate()


class ArticleVersion(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=400, blank=True)
    body = models.TextField(
        help_text="Simple HTML; may use the site's rules as {{ pack.… }} and its contacts as {{ site.… }}."
    )
    note = models.CharField(max_length=300, blank=True, help_text="What changed in this version.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="knowledge_version_unique"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="knowledge_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.article} v{self.version}"
