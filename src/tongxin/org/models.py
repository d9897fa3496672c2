"""Organisation: the division tree, grids, roles and role assignments."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core.models import TongxinModel


class Division(TongxinModel):
    """A node of the administrative division tree (行政区划), with its official code.

    Codes: 6 digits (GB/T 2260) for province, city and county; 9 for a street/township; 12 for a
    community/village (national statistical division codes); a resident group adds a 3-digit local
    suffix to its community's code. ``path`` is the materialized chain of codes from the root, so that
    a subtree is one indexed prefix query on SQLite and PostgreSQL alike.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县/区")
        STREET = "street", _("街道/乡镇")
        COMMUNITY = "community", _("社区/村")
        GROUP = "group", _("居民小组/村民小组")

    LEVEL_ORDER: ClassVar[tuple[str, ...]] = ("province", "city", "county", "street", "community", "group")
    CODE_LENGTHS: ClassVar[dict[str, int]] = {
        "province": 6,
        "city": 6,
        "county": 6,
        "street": 9,
        "community": 12,
        "group": 15,
    }

    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=255, editable=False, db_index=True)
    source = models.CharField(_("来源"), max_length=100, blank=True)

    not_community_keyed: ClassVar[str] = "the division tree itself"
    scope_division: ClassVar[str | None] = ""

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ("code",)
        indexes = [models.Index(fields=["level", "code"], name="org_division_level_code")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=["province", "city", "county", "street", "community", "group"]),
                name="org_division_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Check the code length for the level and the parent's level."""
        errors = {}
        expected = self.CODE_LENGTHS.get(self.level)
        if expected and (len(self.code or "") != expected or not (self.code or "").isdigit()):
            errors["code"] = _("%(level)s的区划代码应为 %(n)s 位数字，收到“%(code)s”") % {
                "level": self.get_level_display(),
                "n": expected,
                "code": self.code,
            }
        if self.parent_id and self.level:
            parent_level = self.parent.level
            if self.LEVEL_ORDER.index(parent_level) >= self.LEVEL_ORDER.index(self.level):
                errors["parent"] = _("上级“%(parent)s”（%(plevel)s）不能管辖%(level)s") % {
                    "parent": self.parent,
                    "plevel": self.parent.get_level_display(),
                    "level": self.get_level_display(),
                }
            elif self.code and self.parent.code and not self._code_under(self.parent.code):
                errors["code"] = _("区划代码“%(code)s”不在上级“%(parent)s”（%(pcode)s）之下") % {
                    "code": self.code,
                    "parent": self.parent,
                    "pcode": self.parent.code,
                }
        elif self.level and self.level != self.Level.PROVINCE:
            errors["parent"] = _("除省级外，区划必须有上级")
        if errors:
            raise ValidationError(errors)

    def _code_under(self, parent_code: str) -> bool:
        prefix = parent_code
        if len(prefix) == 6:  # GB/T 2260: 530000 → 53, 530100 → 5301, 530103 → 530103
            while len(prefix) > 2 and prefix.endswith("00"):
                prefix = prefix[:-2]
        return self.code.startswith(prefix)

    def save(self, *args, **kwargs) -> None:
        """Keep ``path`` in step with the parent chain."""
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.code}/"
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        """Names from the county down, e.g. 盘龙区鼓楼街道桃源社区."""
        return "".join(a.name for a in self.ancestors(include_self=True) if a.level not in ("province", "city"))

    def ancestors(self, include_self: bool = False) -> list[Division]:
        """Ancestors from the root down (one query)."""
        codes = [c for c in self.path.strip("/").split("/") if c]
        if not include_self:
            codes = codes[:-1]
        by_code = {d.code: d for d in Division.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def descendants(self) -> models.QuerySet[Division]:
        """All divisions below this one."""
        return Division.objects.filter(path__startswith=self.path).exclude(pk=self.pk)

    def community(self) -> Division | None:
        """The community/village this division is or belongs to."""
        if self.level == self.Level.COMMUNITY:
            return self
        if self.level == self.Level.GROUP:
            return self.parent
        return None


class Grid(TongxinModel):
    """A grid (网格) of one community: its members (grid members) and its responsible party member (红色网格)."""

    community = models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": Division.Level.COMMUNITY},
    )
    code = models.CharField(_("网格编号"), max_length=32)
    name = models.CharField(_("网格名称"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), blank=True, related_name="grids"
    )
    party_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任党员"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="red_grids",
    )
    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)

    scope_division: ClassVar[str | None] = "community"
    scope_grid: ClassVar[str | None] = ""

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ("community__code", "code")
        constraints = [models.UniqueConstraint(fields=["community", "code"], name="org_grid_unique_code")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Grids belong to a community/village; the boundary must be a GeoJSON (Multi)Polygon."""
        errors = {}
        if self.community_id and self.community.level != Division.Level.COMMUNITY:
            errors["community"] = _("网格只能属于社区或村，“%(d)s”是%(level)s") % {
                "d": self.community,
                "level": self.community.get_level_display(),
            }
        if self.boundary:
            from tongxin.core.geo import validate_polygon

            try:
                validate_polygon(self.boundary)
            except ValueError as exc:
                errors["boundary"] = str(exc)
        if errors:
            raise ValidationError(errors)

    @property
    def is_red_grid(self) -> bool:
        """A grid with a responsible party member is a "red grid"."""
        return self.party_member_id is not None


class Role(TongxinModel):
    """A named set of permissions (patterns such as ``org.view_*`` or ``*.export_*``; ``!`` excludes)."""

    codename = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.TextField(_("说明"), blank=True)
    permissions = models.JSONField(_("权限"), default=list, blank=True)
    grant_levels = models.JSONField(_("可授予层级"), default=list, blank=True)
    is_system = models.BooleanField(_("系统内置"), default=False)

    not_community_keyed: ClassVar[str] = "roles are deployment-wide"
    scope_division: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ("pk",)

    def __str__(self) -> str:
        return str(self.name)


class RoleAssignment(TongxinModel):
    """A role granted to a user at a division (covering its subtree) or at a grid (covering the grid).

    No division and no grid means the whole deployment (administrators only). For a grid assignment
    ``division`` is the grid's community, so that assignments are scoped like any tenant row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.ForeignKey(Role, verbose_name=_("角色"), on_delete=models.PROTECT, related_name="assignments")
    division = models.ForeignKey(
        Division,
        verbose_name=_("区划"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )

    not_community_keyed: ClassVar[str] = "a role is granted at any division level, or on a grid"
    scope_division: ClassVar[str | None] = "division"
    scope_grid: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        ordering = ("user__username", "role_id")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "division", "grid"], name="org_roleassignment_unique"),
        ]

    def __str__(self) -> str:
        where = self.grid or self.division or _("全部")
        return f"{self.user} · {self.role} @ {where}"

    def clean(self) -> None:
        """A grid assignment sits at the grid's community; a role may only be granted at its levels."""
        if self.grid_id:
            self.division = self.grid.community
        if self.role_id and self.role.grant_levels:
            level = "grid" if self.grid_id else (self.division.level if self.division_id else "deployment")
            if level not in self.role.grant_levels:
                names = {"grid": _("网格"), "deployment": _("全部区域"), **dict(Division.Level.choices)}
                allowed = "、".join(str(names.get(lv, lv)) for lv in self.role.grant_levels)
                raise ValidationError(
                    {
                        "role": _("角色“%(role)s”不能授予在%(level)s层级，只能授予在：%(allowed)s")
                        % {"role": self.role, "level": names.get(level, level), "allowed": allowed}
                    }
                )

    def save(self, *args, **kwargs) -> None:
        if self.grid_id and not self.division_id:
            self.division = self.grid.community
        super().save(*args, **kwargs)
