"""Tests for policysite.govspeak, the Govspeak extension for Python-Markdown."""

from __future__ import annotations

import threading

import markdown
import pytest

from policysite.govspeak import GovspeakExtension

OTHER_EXTENSIONS = ["abbr", "tables", "attr_list", "toc", "fenced_code", "sane_lists"]


def make_md(**kwargs) -> markdown.Markdown:
    return markdown.Markdown(extensions=[GovspeakExtension(), *OTHER_EXTENSIONS], **kwargs)


@pytest.fixture
def md():
    return make_md()


def convert(md, text):
    md.reset()
    return md.convert(text)


# --- each block -----------------------------------------------------------


def test_information_callout(md):
    assert convert(md, "^This is an information callout^") == (
        '<div class="information-callout" role="note">\n'
        "<p>This is an information callout</p>\n"
        "</div>"
    )
    assert md.govspeak_warnings == []


def test_information_callout_spanning_lines_with_inline_markdown(md):
    assert convert(md, "^Read the [guidance](guide.md)\nbefore you *apply*^") == (
        '<div class="information-callout" role="note">\n'
        '<p>Read the <a href="guide.md">guidance</a>\nbefore you <em>apply</em></p>\n'
        "</div>"
    )


def test_warning_callout_has_hidden_label(md):
    assert convert(md, "%Do **not** send cash. Fees rise 10% in May.%") == (
        '<div class="warning-callout" role="note">\n'
        '<p><span class="visually-hidden">Warning: </span>'
        "Do <strong>not</strong> send cash. Fees rise 10% in May.</p>\n"
        "</div>"
    )


def test_callout_followed_by_text_in_same_paragraph(md):
    assert convert(md, "^Note^\nMore text") == (
        '<div class="information-callout" role="note">\n<p>Note</p>\n</div>\n'
        "<p>More text</p>"
    )


def test_call_to_action_with_list_and_link(md):
    text = (
        "Intro\n"
        "\n"
        "$CTA\n"
        "Call us on 0800 123 4567.\n"
        "\n"
        "- [Apply online](apply.md)\n"
        "- by post\n"
        "$CTA\n"
        "\n"
        "After"
    )
    assert convert(md, text) == (
        "<p>Intro</p>\n"
        '<div class="call-to-action">\n'
        "<p>Call us on 0800 123 4567.</p>\n"
        "<ul>\n"
        '<li><a href="apply.md">Apply online</a></li>\n'
        "<li>by post</li>\n"
        "</ul>\n"
        "</div>\n"
        "<p>After</p>"
    )
    assert md.govspeak_warnings == []


def test_example(md):
    assert convert(md, "$E\n**Example**: Open the pod bay doors\n$E") == (
        '<div class="example">\n'
        "<p><strong>Example</strong>: Open the pod bay doors</p>\n"
        "</div>"
    )


def test_address_keeps_line_breaks(md):
    text = "$A\nHercules House\nHercules Road\nLondon SE1 7DU\n$A"
    assert convert(md, text) == (
        '<div class="address">\n'
        "<p>Hercules House<br />\nHercules Road<br />\nLondon SE1 7DU</p>\n"
        "</div>"
    )


def test_address_html_output_format():
    md = make_md(output_format="html")
    assert md.convert("$A\nA\nB\n$A") == (
        '<div class="address">\n<p>A<br>\nB</p>\n</div>'
    )


def test_contact_keeps_line_breaks_and_links(md):
    text = (
        "$C\n"
        "**Student Finance England**\n"
        "Telephone: 0300 100 0607\n"
        "[Contact form](https://www.example.gov.uk/contact)\n"
        "$C"
    )
    assert convert(md, text) == (
        '<div class="contact">\n'
        "<p><strong>Student Finance England</strong><br />\n"
        "Telephone: 0300 100 0607<br />\n"
        '<a href="https://www.example.gov.uk/contact">Contact form</a></p>\n'
        "</div>"
    )


def test_contact_email_autolink(md):
    html = convert(md, "$C\nEmail: <help@example.gov.uk>\n$C")
    assert html.startswith('<div class="contact">\n<p>Email: <a href="')
    assert "</a></p>\n</div>" in html


def test_steps(md):
    assert convert(md, "s1. Check you can apply\ns2. Fill in the form\ns3. Send it") == (
        '<ol class="steps">\n'
        "<li>Check you can apply</li>\n"
        "<li>Fill in the form</li>\n"
        "<li>Send it</li>\n"
        "</ol>"
    )


def test_steps_link_inside_a_step(md):
    assert convert(md, "s1. Read [the rules](rules.md)\ns2. Apply") == (
        '<ol class="steps">\n'
        '<li>Read <a href="rules.md">the rules</a></li>\n'
        "<li>Apply</li>\n"
        "</ol>"
    )


def test_steps_separated_by_blank_lines_stay_one_list(md):
    assert convert(md, "s1. One\n\ns2. Two") == (
        '<ol class="steps">\n<li>One</li>\n<li>Two</li>\n</ol>'
    )


def test_steps_continuation_and_end(md):
    assert convert(md, "s1. One\n  more\ns2. Two\nNot a step") == (
        '<ol class="steps">\n<li>One\nmore</li>\n<li>Two</li>\n</ol>\n'
        "<p>Not a step</p>"
    )


def test_steps_starting_later_keep_their_number(md):
    assert convert(md, "s3. Three\ns4. Four") == (
        '<ol class="steps" start="3">\n<li>Three</li>\n<li>Four</li>\n</ol>'
    )


def test_abbreviation(md):
    assert convert(md, "The NHS is free.\n\n*[NHS]: National Health Service") == (
        '<p>The <abbr title="National Health Service">NHS</abbr> is free.</p>'
    )


@pytest.mark.parametrize(
    "extensions",
    [
        [GovspeakExtension()],
        [GovspeakExtension(), "abbr"],
        ["abbr", GovspeakExtension()],
    ],
    ids=["abbr-loaded-for-you", "abbr-after", "abbr-before"],
)
def test_abbreviation_works_whatever_the_extension_order(extensions):
    md = markdown.Markdown(extensions=extensions)
    assert md.convert("NHS\n\n*[NHS]: National Health Service") == (
        '<p><abbr title="National Health Service">NHS</abbr></p>'
    )
    md.reset()
    assert md.convert("NHS") == "<p>NHS</p>"


def test_quote_with_attribution(md):
    text = (
        "> Patients must be the first priority.\n"
        ">\n"
        "> Every single person must put them first.\n"
        ">\n"
        "> \u2014 Robert Francis QC, 2013"
    )
    assert convert(md, text) == (
        '<figure class="quote">\n'
        "<blockquote>\n"
        "<p>Patients must be the first priority.</p>\n"
        "<p>Every single person must put them first.</p>\n"
        "</blockquote>\n"
        "<figcaption>Robert Francis QC, 2013</figcaption>\n"
        "</figure>"
    )


@pytest.mark.parametrize("dash", ["-- ", "&mdash; ", "\u2014"])
def test_quote_attribution_dash_spellings(md, dash):
    html = convert(md, f"> Quote\n>\n> {dash}Someone *else*")
    assert html.endswith(
        "<figcaption>Someone <em>else</em></figcaption>\n</figure>"
    )


def test_quote_without_attribution_stays_plain(md):
    assert convert(md, "> Just a quote\n>\n> Second paragraph") == (
        "<blockquote>\n<p>Just a quote</p>\n<p>Second paragraph</p>\n</blockquote>"
    )
    # Only an attribution, no quote: left alone.
    assert convert(md, "> \u2014 Nobody") == (
        "<blockquote>\n<p>\u2014 Nobody</p>\n</blockquote>"
    )


# --- nesting ----------------------------------------------------------------


def test_abbr_inside_callout(md):
    assert convert(md, "^Ask your NHS trust^\n\n*[NHS]: National Health Service") == (
        '<div class="information-callout" role="note">\n'
        '<p>Ask your <abbr title="National Health Service">NHS</abbr> trust</p>\n'
        "</div>"
    )


def test_callouts_inside_list_items(md):
    text = "- ^Note^\n- %Careful%\n\n1. Step\n\n    ^Indented note^"
    assert convert(md, text) == (
        "<ul>\n"
        '<li>\n<div class="information-callout" role="note">\n<p>Note</p>\n</div>\n</li>\n'
        '<li>\n<div class="warning-callout" role="note">\n'
        '<p><span class="visually-hidden">Warning: </span>Careful</p>\n</div>\n</li>\n'
        "</ul>\n"
        "<ol>\n"
        "<li>\n<p>Step</p>\n"
        '<div class="information-callout" role="note">\n<p>Indented note</p>\n</div>\n'
        "</li>\n"
        "</ol>"
    )


def test_blocks_nested_in_call_to_action(md):
    text = (
        "$CTA\n"
        "Nested:\n"
        "\n"
        "$E\n"
        "An *example*\n"
        "$E\n"
        "\n"
        "s1. A step\n"
        "s2. Another\n"
        "\n"
        "^A callout^\n"
        "$CTA"
    )
    assert convert(md, text) == (
        '<div class="call-to-action">\n'
        "<p>Nested:</p>\n"
        '<div class="example">\n<p>An <em>example</em></p>\n</div>\n'
        '<ol class="steps">\n<li>A step</li>\n<li>Another</li>\n</ol>\n'
        '<div class="information-callout" role="note">\n<p>A callout</p>\n</div>\n'
        "</div>"
    )
    assert md.govspeak_warnings == []


def test_call_to_action_inside_list_item(md):
    text = "1. Apply\n\n    $CTA\n    Call us\n\n    - a\n    - b\n    $CTA\n\n2. Wait"
    assert convert(md, text) == (
        "<ol>\n"
        "<li>\n<p>Apply</p>\n"
        '<div class="call-to-action">\n<p>Call us</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n</div>\n'
        "</li>\n"
        "<li>\n<p>Wait</p>\n</li>\n"
        "</ol>"
    )
    assert md.govspeak_warnings == []


def test_heading_ids_and_tables_inside_block(md):
    text = (
        "$CTA\n"
        "## Apply now {#apply}\n"
        "\n"
        "| a | b |\n"
        "|---|---|\n"
        "| 1 | 2 |\n"
        "$CTA\n"
        "\n"
        "## Other heading"
    )
    html = convert(md, text)
    assert html.startswith('<div class="call-to-action">\n<h2 id="apply">Apply now</h2>\n<table>')
    assert "<td>2</td>" in html
    assert html.endswith('</table>\n</div>\n<h2 id="other-heading">Other heading</h2>')


def test_fenced_code_inside_example_and_markers_in_code(md):
    text = "```\n$CTA\n```\n\n$E\nCode:\n\n```\n$E\n```\n$E"
    assert convert(md, text) == (
        "<pre><code>$CTA\n</code></pre>\n"
        '<div class="example">\n<p>Code:</p>\n<pre><code>$E\n</code></pre>\n</div>'
    )
    assert md.govspeak_warnings == []


def test_indented_markers(md):
    assert convert(md, "  $CTA\n  Indented\n  $CTA") == (
        '<div class="call-to-action">\n<p>Indented</p>\n</div>'
    )


# --- prose that must not trigger anything -----------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("It costs $5 and 10% more, or x^2.", "<p>It costs $5 and 10% more, or x^2.</p>"),
        ("$5 is the fee.", "<p>$5 is the fee.</p>"),
        ("Pay $CTA fees", "<p>Pay $CTA fees</p>"),
        ("50% of people, up 10%", "<p>50% of people, up 10%</p>"),
        ("2^10 is 1024^", "<p>2^10 is 1024^</p>"),
        ("^^^^", "<p>^^^^</p>"),
        ("%%", "<p>%%</p>"),
        ("sales s1. figures", "<p>sales s1. figures</p>"),
        ("s1.5 billion", "<p>s1.5 billion</p>"),
    ],
)
def test_prose_does_not_trigger_blocks(md, text, expected):
    assert convert(md, text) == expected
    assert md.govspeak_warnings == []


# --- warnings for unclosed blocks -------------------------------------------


def test_unclosed_block_is_left_as_text_with_warning(md):
    text = "Line 1\n\n$CTA\nNot closed\n\n## Heading\n\nText"
    assert convert(md, text) == (
        "<p>Line 1</p>\n"
        "<p>$CTA\nNot closed</p>\n"
        '<h2 id="heading">Heading</h2>\n'
        "<p>Text</p>"
    )
    assert md.govspeak_warnings == [
        (
            3,
            "`$CTA` (call to action) block is not closed: add a line with only "
            "`$CTA` after the end of the block. Until then `$CTA` is shown as "
            "ordinary text.",
        )
    ]


@pytest.mark.parametrize("marker", ["$E", "$A", "$C"])
def test_each_unclosed_block_warns(md, marker):
    convert(md, f"a\n\nb\n\n{marker}\nc")
    [(line, message)] = md.govspeak_warnings
    assert line == 5
    assert f"add a line with only `{marker}`" in message


def test_block_left_open_inside_another_block(md):
    text = "$CTA\n$E\nfoo\n$CTA"
    assert convert(md, text) == (
        '<div class="call-to-action">\n<p>$E\nfoo</p>\n</div>'
    )
    [(line, message)] = md.govspeak_warnings
    assert line == 2
    assert message.startswith(
        "`$E` (example) block is not closed before the `$CTA` block around it "
        "ends on line 4: add a line with only `$E`"
    )


def test_unclosed_callouts_warn(md):
    text = "Intro\n\n^Unclosed information\n\n%Unclosed\nwarning\n\n^Fine^"
    html = convert(md, text)
    assert "<p>^Unclosed information</p>" in html
    assert "<p>%Unclosed\nwarning</p>" in html
    assert '<div class="information-callout" role="note">\n<p>Fine</p>' in html
    assert md.govspeak_warnings == [
        (
            3,
            "Information callout is not closed: end its last line with `^`, or "
            "remove the `^` at the start if you did not mean a callout. It is "
            "shown as ordinary text.",
        ),
        (
            5,
            "Warning callout is not closed: end its last line with `%`, or "
            "remove the `%` at the start if you did not mean a callout. It is "
            "shown as ordinary text.",
        ),
    ]


def test_warnings_are_sorted_by_line(md):
    convert(md, "^open\n\n$C\nx\n\n%open")
    assert [line for line, _ in md.govspeak_warnings] == [1, 3, 6]


def test_block_that_cannot_be_built_is_not_swallowing_the_document(md):
    # The closing marker is inside raw HTML: the opener stays text, the rest
    # of the document is still rendered normally.
    html = convert(md, "$CTA\n\n<div>\n$CTA\n</div>\n\nAfter")
    assert html.startswith("<p>$CTA</p>")
    assert html.endswith("<p>After</p>")
    assert "call-to-action" not in html
    [(line, message)] = md.govspeak_warnings
    assert line == 1
    assert "could not be built" in message


# --- state across documents -------------------------------------------------


def test_no_state_leaks_between_documents(md):
    convert(md, "$CTA\nopen\n\nNHS\n\n*[NHS]: National Health Service")
    assert len(md.govspeak_warnings) == 1
    first_warnings = md.govspeak_warnings

    assert convert(md, "NHS\n\n$E\nok\n$E") == (
        '<p>NHS</p>\n<div class="example">\n<p>ok</p>\n</div>'
    )
    assert md.govspeak_warnings == []
    assert len(first_warnings) == 1  # the caller's old list is not mutated

    md.reset()
    assert md.govspeak_warnings == []
    assert md.convert("   ") == ""
    assert md.govspeak_warnings == []


def test_warnings_reset_even_without_md_reset(md):
    md.convert("$CTA\nopen")
    assert len(md.govspeak_warnings) == 1
    md.convert("fine")
    assert md.govspeak_warnings == []


def test_one_extension_instance_in_two_markdown_instances():
    ext = GovspeakExtension()
    md1 = markdown.Markdown(extensions=[ext])
    md2 = markdown.Markdown(extensions=[ext])
    md1.convert("$CTA\nopen")
    assert md2.convert("$E\nx\n$E") == '<div class="example">\n<p>x</p>\n</div>'
    assert len(md1.govspeak_warnings) == 1
    assert md2.govspeak_warnings == []


def test_many_documents_same_output(md):
    text = "^Note^\n\n$CTA\n- a\n$CTA\n\ns1. x\n\n> q\n>\n> \u2014 y"
    first = convert(md, text)
    for _ in range(20):
        assert convert(md, text) == first


# --- hostile input ------------------------------------------------------------


def run_with_timeout(func, timeout=60.0):
    result = {}

    def target():
        result["value"] = func()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "conversion did not finish in time"
    return result["value"]


@pytest.mark.parametrize(
    "text",
    [
        "^" * 1_000_000,
        "$" * 1_000_000,
        "%" * 1_000_000,
        "^a" * 500_000,
        "%" + "a" * 1_000_000,
        "^\n" * 100_000,
        "$CTA\n$E\n$A\n$C\n" * 5_000,
        "$CTA\n" * 10_000,
        "s1. " * 250_000,
        "> \u2014 " * 200_000,
        "```hl_lines='" + "a" * 1_000_000,
    ],
    ids=[
        "carets", "dollars", "percents", "caret-a", "open-percent",
        "caret-lines", "markers", "unclosed-cta-lines", "steps", "dashes", "fence",
    ],
)
def test_hostile_input_finishes(text):
    md = make_md()
    html = run_with_timeout(lambda: md.convert(text))
    assert html
