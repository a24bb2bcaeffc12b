from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .collation import name_key


class UserQuerySet(models.QuerySet):
    def enrolled_in(self, course_id):
        """The students enrolled in a course."""
        return self.filter(enrollments__course_id=course_id)

    def without_password(self):
        """Users who cannot log in with a password yet (imported, or created by the sweep): "!"-prefixed hashes."""
        return self.filter(password__startswith="!")


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, school_number, password=None, **extra):
        if not school_number:
            raise ValueError("A school number is required.")
        user = self.model(school_number=school_number.strip(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, school_number, password=None, **extra):
        extra.setdefault("role", User.Role.ADMIN)
        extra["is_superuser"] = True
        return self.create_user(school_number, password, **extra)

    def get_by_natural_key(self, school_number):
        return self.get(school_number=school_number)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        TEACHER = "teacher", _("Teacher")
        ADMIN = "admin", _("Administrator")

    school_number = models.CharField(verbose_name=_("school number"), max_length=32, unique=True)
    full_name = models.CharField(verbose_name=_("full name"), max_length=150)
    # The name as the school's language sorts it (accounts.collation); kept in step by save().
    name_key = models.CharField(max_length=800, default="", db_default="", editable=False)
    email = models.EmailField(verbose_name=_("email"), blank=True)
    role = models.CharField(verbose_name=_("role"), max_length=16, choices=Role.choices, default=Role.STUDENT)
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    is_staff = models.BooleanField(verbose_name=_("is staff"), default=False, editable=False)
    # The system clock, not attendance.clock: accounts sits below attendance, and a default from there would
    # make accounts' migrations import attendance. The sweep passes its own (app clock) time when it adds users.
    date_joined = models.DateTimeField(verbose_name=_("date joined"), default=timezone.now)  # noqa: TID251
    # The provider's subject ("sub") of the first single sign-on login: later ones must bring the same.
    sso_subject = models.CharField(
        verbose_name=_("single sign-on subject"), max_length=255, blank=True, default="", db_default=""
    )
    # A student's advisor (a teacher): sees the student's whole record and gets a copy of their
    # low-attendance warnings, once per crossing (attendance.warnings).
    advisor = models.ForeignKey(
        "self",
        verbose_name=_("advisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="advisees",
        limit_choices_to={"role": "teacher"},
    )
    # The language the user chose with the switch in the header; empty: the browser's.
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, blank=True, default="", db_default="", verbose_name=_("language")
    )

    objects = UserManager()

    USERNAME_FIELD = "school_number"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name_key"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["student", "teacher", "admin"]), name="user_role_valid"),
            models.CheckConstraint(condition=~Q(school_number=""), name="user_school_number_not_empty"),
            models.CheckConstraint(condition=Q(is_staff=False) | Q(role="admin"), name="user_only_admins_are_staff"),
        ]
        indexes = [
            models.Index(fields=["role", "full_name"], name="user_role_name_idx"),
            models.Index(fields=["name_key"], name="user_name_key_idx"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.school_number})"

    def save(self, *args, **kwargs):
        self.is_staff = self.role == self.Role.ADMIN
        self.name_key = name_key(self.full_name)
        if kwargs.get("update_fields") is not None and "full_name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.school_number

    @property
    def is_teacher(self) -> bool:
        return self.role in (self.Role.TEACHER, self.Role.ADMIN)

    @property
    def is_student(self) -> bool:
        return self.role == self.Role.STUDENT

    def login_session_ttl(self) -> int:
        """Return how long a login session of this user lasts, in seconds."""
        if self.role == self.Role.ADMIN:
            return settings.ADMIN_SESSION_TTL
        if self.role == self.Role.TEACHER:
            return settings.TEACHER_SESSION_TTL
        return settings.STUDENT_SESSION_TTL
