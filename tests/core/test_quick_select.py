"""Selects of styled forms (core.forms.style) write what Django's select templates write, without a template per
option: the filters of a list page spent tens of milliseconds rendering option templates (issue 17)."""

from __future__ import annotations

import re

from django import forms

from tongxin.core.forms import QuickSelectMixin, style


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "全部"), ("1", "男"), ("2", "女 <&>")], required=False)
    grouped = forms.ChoiceField(choices=[("汉", [("01", "汉族")]), ("少数民族", [("02", "蒙古族"), ("03", "回族")])])
    many = forms.MultipleChoiceField(choices=[("a", "甲"), ("b", "乙")], required=False)
    flag = forms.NullBooleanField(required=False)


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


def test_a_styled_select_writes_what_the_template_writes():
    data = {"plain": "2", "grouped": "03", "many": ["a", "b"], "flag": "true"}
    reference = Sample(data)
    for field in reference.fields.values():
        field.widget.attrs["class"] = "form-select"  # what style() adds, rendered by Django's templates
    styled = Sample(data)
    style(styled)
    for name in Sample.base_fields:
        assert isinstance(styled.fields[name].widget, QuickSelectMixin)
        assert not isinstance(reference.fields[name].widget, QuickSelectMixin)
        assert squeeze(styled[name]) == squeeze(reference[name])
    assert '<option value="2" selected>女 &lt;&amp;&gt;</option>' in str(styled["plain"])
    assert "multiple" in str(styled["many"]) and str(styled["many"]).count(" selected") == 2


def test_a_styled_form_can_still_be_copied():
    styled = Sample()
    style(styled)
    again = Sample()
    again.fields = {k: v.__deepcopy__({}) for k, v in styled.fields.items()}
    assert squeeze(again["plain"]).startswith('<select name="plain" class="form-select"')
