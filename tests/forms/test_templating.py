"""Form templates: ``{{ variable }}`` filled from the instance's data, escaped, with form-js's markdown."""

from __future__ import annotations

from engine.forms.templating import fill_text, render_markdown, template_names

TEXT = ("# Threshold decision\nThe table recommends **level {{ recommended_level }}** and {{ route }}.\n\n"
        "- {{ child.name }}")


def test_variables_are_filled_and_markdown_gets_gov_uk_classes():
    html = render_markdown(TEXT, {"recommended_level": 4, "route": "Strategy discussion", "child": {"name": "Robin"}})
    assert '<h2 class="govuk-heading-m">Threshold decision</h2>' in html
    assert "<strong>level 4</strong> and Strategy discussion." in html
    assert '<ul class="govuk-list govuk-list--bullet">' in html and "<li>Robin</li>" in html
    assert "{{" not in html


def test_an_answer_with_markup_or_a_template_renders_as_text():
    data = {"recommended_level": "<script>alert(1)</script>", "route": "{{ __class__ }} **bold** [x](javascript:1)",
            "child": {"name": "{{ recommended_level }}"}}
    html = render_markdown(TEXT, data)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ __class__ }} **bold** [x](javascript:1)" in html  # not evaluated, not markdown, not a link
    assert "<li>{{ recommended_level }}</li>" in html  # a value is never filled in again
    assert "<a " not in html


def test_unknown_or_malformed_names_render_as_nothing():
    html = render_markdown("Hello {{ nobody }}{{ __class__ }}{{ route.__dict__ }}.", {"route": {"x": 1}})
    assert html.strip() == '<p class="govuk-body">Hello .</p>'


def test_raw_html_and_links_to_data_are_not_rendered():
    html = render_markdown('<b>bold</b> [link]({{ url }}) ![img](x.png)', {"url": "javascript:alert(1)"})
    assert "<b>" not in html and "javascript" not in html and "<img" not in html


def test_labels_fill_plain_words_and_dates_read_as_gov_uk_writes_them():
    filled = fill_text("Due {{ when }}: {{ items }}", {"when": "2026-03-14", "items": ["a", "b"]})
    assert filled == "Due 14 March 2026: a, b"
    assert template_names("{{ a }} and {{b.c}} and {{ __x }}") == {"a", "b.c", "__x"}
