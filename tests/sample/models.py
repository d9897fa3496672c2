"""A home visit with a photo, personal and sensitive data and a three-step workflow."""

from typing import ClassVar

from django.db import models

from tongxin.core import files
from tongxin.core.fields import EncryptedTextField
from tongxin.core.models import CommunityModel, TongxinModel


class Visit(CommunityModel):
    """A grid member's visit to a resident (走访): drafted, submitted, then approved or sent back."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        APPROVED = "approved", "已审核"

    grid = models.ForeignKey("org.Grid", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="网格")
    resident = models.CharField("居民", max_length=64)
    phone = EncryptedTextField("电话", blank=True)
    health = models.CharField("健康状况", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)

    scope_grid: ClassVar[str | None] = "grid"
    personal_fields: ClassVar[tuple[str, ...]] = ("phone",)
    sensitive_fields: ClassVar[tuple[str, ...]] = ("health",)

    class Meta:
        verbose_name = verbose_name_plural = "走访"
        ordering = ("-pk",)
        indexes = [models.Index(fields=["community", "status"], name="sample_visit_status")]

    def __str__(self) -> str:
        return self.resident


class VisitPhoto(files.FileAttachment, TongxinModel):
    """A photo taken on a visit."""

    visit = models.ForeignKey(Visit, models.CASCADE, related_name="photos", verbose_name="走访")

    scope_division: ClassVar[str | None] = "visit__community"
    scope_grid: ClassVar[str | None] = "visit__grid"

    class Meta:
        verbose_name = verbose_name_plural = "走访照片"
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.name
