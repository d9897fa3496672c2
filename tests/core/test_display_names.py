"""Users see names, not codes (issue 17, defect 10): an import's target, an access's fields, a tag's colour, the
change log's object types, the worker's task table in the admin, the satisfaction scale and the board's note."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tongxin.core.models import AccessLog, ImportJob, User
from tongxin.registry.models import Person, Tag


@pytest.fixture
def superuser(world, client):
    user = User.objects.create_user(username="root", password="pw-Strong-12345", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def select_options(html: str, name: str) -> list[str]:
    """The labels of a <select name=…>'s options."""
    match = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert match, name
    return [label.strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", match.group(0), re.S)]


def test_the_import_job_list_names_its_target_by_the_model_name(client, world, superuser):
    ImportJob.objects.create(user=superuser, target="registry.Person", file_name="名单.xlsx", community=world.a)
    html = client.get(reverse("core:importjob_list")).content.decode()
    assert "registry.Person" not in re.sub(r'value="[^"]*"', "", html)  # the option's value is the label
    assert "居民" in html
    assert "居民" in select_options(html, "target")


def test_the_access_log_names_the_fields_it_touched(client, world, superuser):
    AccessLog.objects.create(
        user_name="director",
        action="reveal",
        content_type=ContentType.objects.get_for_model(Person),
        object_id="1",
        fields="id_number,phone",
    )
    html = client.get(reverse("core:accesslog_list"), {"columns": ["content_type", "fields"]}).content.decode()
    assert "id_number" not in html and "registry.person" not in html.lower().replace("registry.person_", "")
    assert "公民身份号码、" in html


def test_tag_colours_are_named_in_chinese(client, world, superuser):
    Tag.objects.create(community=world.a, name="志愿者", color="success")
    html = client.get(reverse("registry:tag_list"), {"columns": ["name", "color"]}).content.decode()
    assert "绿色" in html
    assert not re.search(r">\s*success\s*<", html)
    form = client.get(reverse("registry:tag_add")).content.decode()
    assert {"绿色", "黄色", "红色", "蓝色"} <= set(select_options(form, "color"))


def test_the_change_log_filters_by_the_object_types_users_know(client, world, superuser):
    html = client.get(reverse("core:objectchange_list")).content.decode()
    types = select_options(html, "content_type")
    assert "居民" in types and "网格" in types
    assert not [t for t in types if "|" in t or re.search(r"[a-z]{3,}", t)]  # no "人口信息 | 居民", "login failure"
    assert "导入任务" not in types and "个人信息访问记录" not in types


def test_the_admin_names_the_worker_tasks_in_chinese(client, world, superuser):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.create(
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="tongxin.core.tasks.run_export",
        backend_name="default",
        run_after=timezone.now(),
    )
    index = client.get("/admin/").content.decode()
    assert "后台任务" in index and "任务执行记录" in index
    assert "Task Results" not in index and "Tasks Database Backend" not in index
    tasks = client.get("/admin/django_tasks_database/dbtaskresult/")
    assert tasks.status_code == 200
    html = tasks.content.decode()
    assert "加入队列时间" in html and "等待执行" in html and "run_export" in html
    assert "选择Task Result" not in html  # the title (the breadcrumb's model name is the catalogue's to translate)


def test_satisfaction_is_offered_in_words(client, world, superuser):
    html = client.get(reverse("cases:followup_list")).content.decode()
    assert select_options(html, "satisfaction")[-5:] == [
        "5 非常满意",
        "4 满意",
        "3 基本满意",
        "2 不满意",
        "1 非常不满意",
    ]


def test_the_board_labels_the_note_of_a_bulk_assignment(client, world):
    client.force_login(world.users["director"])
    html = client.get(reverse("cases:board")).content.decode()
    match = re.search(r'<label[^>]*for="id_note"[^>]*>(.*?)</label>', html)
    assert match and match.group(1) == "分派说明"
