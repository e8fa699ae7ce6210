"""Staff accounts: login by email, several roles per person, membership of sites and departments."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django_otp.models import Device


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    MANAGER = "manager", "Manager"
    OFFICER = "officer", "Patient relations officer"
    INVESTIGATOR = "investigator", "Investigator"
    EXECUTIVE = "executive", "Executive"
    AUDITOR = "auditor", "Auditor"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.create_user(email, password, **extra)
        RoleGrant.objects.create(user=user, role=Role.ADMIN)
        return user


class User(AbstractBaseUser):  # type: ignore[django-manager-missing]  # django-otp's Device gives no related name
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    sites = models.ManyToManyField("org.Site", blank=True, related_name="users")
    departments = models.ManyToManyField(
        "org.Department",
        blank=True,
        related_name="investigators",
        help_text="For investigators: the departments they answer for.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    # Roles -------------------------------------------------------------------------------------------
    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(self.role_grants.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return self.is_active and bool(self.role_codes.intersection(roles))

    def role_labels(self) -> list[str]:
        return [label for code, label in Role.choices if code in self.role_codes]

    @cached_property
    def site_ids(self) -> frozenset[int]:
        return frozenset(self.sites.values_list("pk", flat=True))

    # Django admin compatibility: only active administrators reach the admin, and there they may do all.
    @property
    def is_staff(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def is_superuser(self) -> bool:
        return self.has_role(Role.ADMIN)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.has_role(Role.ADMIN)

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return self.has_role(Role.ADMIN)

    def has_module_perms(self, app_label: str) -> bool:
        return self.has_role(Role.ADMIN)


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_rolegrant_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_rolegrant_known_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class ApiScope(models.TextChoices):
    """What an API token may be used for; each is also bounded by what its user may do (``tokens.SCOPE_NEEDS``)."""

    READ_CASES = "cases:read", "Read cases"
    WRITE_CASES = "cases:write", "Change cases"
    INGEST_FEEDBACK = "feedback:ingest", "Send feedback answers"
    READ_MEASURES = "measures:read", "Read the office's measures"


class ApiToken(models.Model):
    """A secret that lets a program call the API as its user, within its scopes, until it expires or is revoked.

    Only a SHA-256 digest of the secret is stored: the secret is shown once, when it is created. The prefix
    (the secret's first characters, not enough to use it) lets people tell their tokens apart in lists and logs.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'Data warehouse nightly load'.")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ProviderIdentity(models.Model):
    """Who a staff account is at the hospital's OpenID Connect provider: the issuer and its subject (``sub``).

    The subject never changes at a provider, unlike an email address; once linked, sign-ins match by it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="provider_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "provider identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="accounts_provideridentity_unique_subject"),
            models.UniqueConstraint(fields=["user", "issuer"], name="accounts_provideridentity_one_per_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"


class ProviderMfaDevice(Device):
    """The identity provider standing as a second factor, for sessions where it said it asked for one.

    Signing in through the provider with a second factor it asserts (``amr``/``acr``) marks the session verified
    with this device, exactly as a TOTP code marks it with the authenticator's device. It accepts no codes.
    """

    class Meta:
        verbose_name = "identity provider second factor"

    def verify_token(self, token: Any) -> bool:
        return False
