"""Raw HTML as content pasted from a CMS holds it: anchors, presentational attributes,
embeds and other generators' template tags; and aliases and sections such content brings."""

from __future__ import annotations

import pytest
from conftest import build, html_of, main_text, page, run

from policysite import sanitize, templatetags

P = "content/p.md"   # page() puts its body from line 5


# -- anchors --------------------------------------------------------------------------

def test_named_anchors_become_ids_and_links_to_them_hold(make_site):
    site = make_site({
        P: page("P", body='[Top](#top), [there](other.md#named), [head](other.md#wp-head)\n\n<a name="top"></a>\n'),
        "content/other.md": page("Other", body='<p><a name="named">Named</a></p>\n\n'
                                                '<h2 class="wp-block-heading" id="wp-head">Head</h2>\n'),
    })
    r = build(site)
    assert r.code == 0, r.err
    assert "name" not in r.err   # no warning about a removed `name`
    main = main_text(html_of(site / "_site", "p/index.html"))
    assert main.find("a", id="top") is not None
    other = main_text(html_of(site / "_site", "other/index.html"))
    assert other.find("a", id="named") is not None and other.find("h2", id="wp-head") is not None
    assert other.find("a", name="named") is None


def test_a_link_to_a_missing_anchor_is_still_broken(make_site):
    site = make_site({P: page("P", body='[x](#nowhere)\n\n<a name="somewhere"></a>\n')})
    r = build(site)
    assert r.code == 1
    r.assert_has(P, 5, "error", "#nowhere")


def test_anchor_names_are_made_safe_ids():
    assert sanitize.anchor_names('<a name="How it works">') == '<a id="How-it-works">'
    assert sanitize.anchor_names("<a name='x\"y' href=\"#\">") == '<a id="xy" href="#">'
    assert sanitize.anchor_names('<a id="keep" name="drop">') == '<a id="keep" >'
    assert sanitize.anchor_names('<a name="&lt;&gt;">x</a>') == "<a >x</a>"
    assert sanitize.anchor_names('<A NAME=plain>') == '<A id="plain">'
    assert sanitize.anchor_names('<abbr name="x">') == '<abbr name="x">'   # only on <a>
    assert sanitize.anchor_names('<a name="main-content">', frozenset({"main-content"})) == "<a >"


def test_anchor_with_a_space_keeps_a_usable_id(make_site):
    site = make_site({P: page("P", body='[Jump](#How-it-works)\n\n<a name="How it works"></a>\n')})
    r = build(site)
    assert r.code == 0, r.err
    assert main_text(html_of(site / "_site", "p/index.html")).find("a", id="How-it-works") is not None


# -- presentational attributes ---------------------------------------------------------

def test_presentational_attributes_give_one_warning_per_page_and_kind(make_site):
    body = ('<p style="color: red">a</p>\n\n'
            + "".join(f'<a href="https://example.org/{n}" target="_blank">{n}</a>\n' for n in range(17))
            + '\n<table border="1" width="100%"><tr><td bgcolor="red" width="2">x</td></tr></table>\n')
    site = make_site({P: page("P", body=body)})
    r = build(site)
    assert r.code == 0, r.err
    warnings = [w for w in r.warnings() if w[0] == P]
    assert sum("`target`" in message for _, _, message in warnings) == 1
    r.assert_has(P, 7, "warning", "17 `target` attributes removed", "same tab")
    r.assert_has(P, 5, "warning", "1 `style` attribute removed")
    r.assert_has(P, 25, "warning", "2 `width` attributes removed")
    r.assert_has(P, 25, "warning", "1 `border` attribute removed")
    r.assert_has(P, 25, "warning", "1 `bgcolor` attribute removed")
    html = (site / "_site/p/index.html").read_text()
    assert 'target="_blank"' not in html and "color: red" not in html and 'bgcolor' not in html


def test_script_attributes_and_unsafe_urls_are_still_reported_one_by_one(make_site):
    body = ('<a href="https://e.org/" onclick="x()" target="_blank">a</a>\n'
            '<a href="https://e.org/" onclick="y()" target="_blank">b</a>\n'
            '<a href="javascript:alert(1)">c</a>\n<a href="vbscript:z">d</a>\n')
    site = make_site({P: page("P", body=body)})
    r = build(site)
    r.assert_has(P, 5, "warning", "onclick", "runs scripts")
    r.assert_has(P, 6, "warning", "onclick", "runs scripts")
    r.assert_has(P, 7, "warning", "javascript:")
    r.assert_has(P, 8, "warning", "vbscript:")
    r.assert_has(P, 5, "warning", "2 `target` attributes removed")


def test_removed_elements_get_one_warning_per_page_and_kind(make_site):
    svg = '<svg viewBox="0 0 10 10"><g><circle r="4"/><text>Label</text><path d="M0 0"/></g></svg>'
    body = (f"Intro.\n\n{svg}\n\n{svg}\n\nRun `cf push` as cf bind-service <app> <service> or <app>.\n\n"
            "<blink>Old</blink>\n\n<script>alert(1)</script>\n\n<script>alert(2)</script>\n")
    site = make_site({P: page("P", body=body)})
    r = build(site)
    assert r.code == 0, r.err
    warnings = sorted((line, message) for path, line, message in r.warnings() if path == P)
    assert [line for line, _ in warnings] == [7, 11, 11, 13, 15, 17], warnings
    assert warnings[0][1].startswith("2 raw HTML `<svg>` elements removed: a drawing written into the page")
    assert "`<app>` (2 times on this page) is not an HTML element" in warnings[1][1] + warnings[2][1]
    assert "`<service>` is not an HTML element" in warnings[1][1] + warnings[2][1]
    assert warnings[3][1].startswith("1 raw HTML `<blink>` element removed")
    # What can run code is still reported where it is, one by one.
    assert all("raw HTML `<script>` is not allowed" in message for _, message in warnings[4:])


def test_top_level_headings_in_a_body_get_one_warning(make_site):
    site = make_site({P: page("P", body="# First\n\nText.\n\n# Second\n\nThird\n=====\n")})
    r = build(site)
    assert r.code == 0, r.err
    warnings = [(line, message) for path, line, message in r.warnings() if path == P]
    assert warnings == [(5, "use `##` for headings in the body (and 2 more in this page): "
                            "the page title is the page's only top-level heading")]


def test_a_raw_html_h1_in_a_body_is_a_top_level_heading_too(make_site):
    # Line 5 mentions one in backticks and line 7 in a comment: neither is output, so neither is the cause.
    site = make_site({P: page("P", body="Write `<h1>` never.\n\n<!-- <h1>old</h1> -->\n\nText.\n\n"
                                         '<H1 class="x">Second title</H1>\n\n<h1>Third</h1>\n')})
    r = build(site)
    assert r.code == 0, r.err
    warnings = [(line, message) for path, line, message in r.warnings() if path == P]
    assert warnings == [(11, "use `##`, or `<h2>` in HTML, for headings in the body (and 1 more in this page): "
                             "the page title is the page's only top-level heading")]
    strict = run("check", site, "--strict")
    assert strict.code == 1
    strict.assert_has(P, 11, "error", "`<h2>` in HTML", "under --strict")


def test_a_code_span_over_two_lines_leaves_the_heading_line_where_it_is(make_site):
    # The code span is blanked to find what is output; it must keep its line break, or the lines
    # after it move up one (and the last ran past the end).
    site = make_site({P: page("P", body="Text `code\nspan` more.\n\nMore.\n\n<h1>Second title</h1>\n\nEnd.\n")})
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 0, r.err
    assert [line for path, line, _ in r.warnings() if path == P] == [10]


def test_scan_findings_carry_codes():
    codes = {(f.line, f.code) for f in sanitize.scan(
        '<a href="https://e.org/" target="_blank" onclick="x">a</a>\n<a target=x href="javascript:y">b</a>\n'
        '<blink>x</blink>\n<iframe src="https://www.youtube.com/embed/abc"></iframe>\n')}
    assert codes == {(1, "presentational-attribute"), (1, "script-attribute"), (2, "url-scheme-not-allowed"),
                     (3, "html-not-allowed"), (4, "embed-replaced")}


# -- embeds ---------------------------------------------------------------------------

def test_embeds_become_links_with_one_warning_each(make_site):
    body = ('Intro.\n\n'
            '<iframe width="560" height="315" src="https://www.youtube.com/embed/835a8UWlL9c" frameborder="0" allowfullscreen></iframe>\n\n'
            'See <iframe src="https://www.google.com/maps/embed?pb=x" title="Our office on a map"></iframe> here.\n\n'
            '<object data="https://slides.example.org/deck"><param name="a" value="b"><embed src="https://slides.example.org/deck"></object>\n\n'
            '<iframe src="javascript:alert(1)"></iframe>\n')
    site = make_site({P: page("P", body=body)})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has(P, 7, "warning", "`<iframe>` was replaced by a link", "Video on youtube.com")
    r.assert_has(P, 9, "warning", "`<iframe>` was replaced by a link", "Our office on a map")
    r.assert_has(P, 11, "warning", "`<object>` was replaced by a link", "Content on slides.example.org")
    r.assert_has(P, 13, "warning", "`<iframe>` was removed", "no http or https address")
    assert len([w for w in r.warnings() if w[0] == P]) == 4   # no extra warnings for <param>, <embed> or sizes
    main = main_text(html_of(site / "_site", "p/index.html"))
    links = {a.attrs["href"]: a.text() for a in main.find_all("a")}
    assert links["https://www.youtube.com/watch?v=835a8UWlL9c"] == "Video on youtube.com"
    assert links["https://www.google.com/maps/embed?pb=x"] == "Our office on a map"
    assert links["https://slides.example.org/deck"] == "Content on slides.example.org"
    html = (site / "_site/p/index.html").read_text()
    assert "<iframe" not in html and "<object" not in html and "alert(1)" not in html


@pytest.mark.parametrize("tag, attrs, href, text", [
    ("iframe", {"src": "https://www.youtube-nocookie.com/embed/abc?rel=0"}, "https://www.youtube.com/watch?v=abc", "Video on youtube-nocookie.com"),
    ("iframe", {"src": "https://www.youtube.com/embed/videoseries?list=PL1"}, "https://www.youtube.com/playlist?list=PL1", "Video on youtube.com"),
    ("iframe", {"src": "//player.vimeo.com/video/42", "title": "  Launch   film "}, "https://vimeo.com/42", "Launch film"),
    ("iframe", {"src": "https://docs.google.com/presentation/d/x/embed"}, "https://docs.google.com/presentation/d/x/embed", "Slides on docs.google.com"),
    ("iframe", {"src": "https://www.openstreetmap.org/export/embed.html"}, "https://www.openstreetmap.org/export/embed.html", "Map on openstreetmap.org"),
    ("embed", {"src": "http://example.org/a.swf"}, "http://example.org/a.swf", "Content on example.org"),
    ("object", {"data": "https://example.org/x"}, "https://example.org/x", "Content on example.org"),
])
def test_embed_link(tag, attrs, href, text):
    assert sanitize.embed_link(tag, attrs) == sanitize.EmbedLink(href, text)


@pytest.mark.parametrize("attrs", [{}, {"src": ""}, {"src": "data:text/html,x"}, {"src": "/local/page/"}, {"src": "https://[x"}])
def test_embed_without_a_web_address_has_no_link(attrs):
    assert sanitize.embed_link("iframe", attrs) is None


def test_embed_link_text_is_escaped():
    out = sanitize.replace_embeds('<iframe src="https://e.org/?a=1&b=2" title="&lt;b&gt;x"></iframe>')
    assert out == '<a href="https://e.org/?a=1&amp;b=2">&lt;b&gt;x</a>'


def test_embeds_in_code_are_left_alone(make_site):
    site = make_site({P: page("P", body='`<iframe src="https://e.org/">`\n\n```\n<iframe src="https://e.org/"></iframe>\n```\n')})
    r = build(site)
    assert r.code == 0 and not [w for w in r.warnings() if w[0] == P], r.err
    assert "&lt;iframe" in (site / "_site/p/index.html").read_text()


# -- template tags ----------------------------------------------------------------------

def test_template_tags_left_in_a_body_get_one_warning_naming_their_lines(make_site):
    body = ('Intro.\n\nSee [setup]({{< relref "setup.md" >}}).\n\n{{% notice %}}Careful{{% /notice %}}\n\n'
            '{% include note.html %}\n\nEmail {{ site.support_email }}.\n\n'
            'In code: `{{< x >}}`\n\n```\n{% raw %}\n```\n\nPlain {{ braces }} and {curly}.\n')
    site = make_site({P: page("P", body=body)})
    r = build(site)
    tags = [(line, message) for path, line, message in r.warnings() if path == P and "template tag" in message]
    assert [line for line, _ in tags] == [7], r.err
    message = tags[0][1]
    assert message.startswith('`{{< relref "setup.md" >}}` (and on 3 more lines: 9, 11, 13) is a template tag')
    assert "does not run: remove it or replace it with Markdown" in message


def test_a_page_full_of_template_tags_gets_one_warning(make_site):
    body = "".join(f"Step {n}: {{{{< step {n} >}}}}\n\n" for n in range(40))
    site = make_site({P: page("P", body=body)})
    r = build(site)
    assert r.code == 0, r.err
    tags = [(line, message) for path, line, message in r.warnings() if path == P]
    assert [line for line, _ in tags] == [5], r.err
    assert "`{{< step 0 >}}` (and on 39 more lines: 7, 9, 11, 13, 15, ...)" in tags[0][1]


def test_an_address_made_by_a_template_is_a_template_tag_not_a_broken_link(make_site):
    body = ('Intro.\n\n{% for kb in site.kb %}\n<a href="{{ site.baseurl }}{{ kb.url }}">{{ kb.title }}</a>\n{% endfor %}\n\n'
            '![Diagram]({{ .Site.BaseURL }}/img/diagram.png)\n\n'
            '<!-- <a href="gone.md">an old link, commented out</a> -->\n\n'
            '<script>render(`<a href="${item.url}">x</a>`)</script>\n')
    site = make_site({P: page("P", body=body)})
    r = build(site)
    assert r.code == 0, r.err
    tags = [(line, message) for path, line, message in r.warnings() if path == P and "template tag" in message]
    assert [line for line, _ in tags] == [7], r.err
    assert "`{% for kb in site.kb %}` (and on 3 more lines: 8, 9, 11)" in tags[0][1]


def test_template_tag_lines_count_from_the_body():
    found = templatetags.find("a\n{% link x.md %}\n", first_line=10)
    assert [(t.line, "{% link x.md %}" in t.message) for t in found] == [(11, True)]
    assert templatetags.find("no tags {here}\n") == []
    assert templatetags.find("<!-- {{< old >}}\n{% gone %} -->\n") == []


# -- aliases and sections ------------------------------------------------------------------

def test_an_alias_equal_to_the_page_address_is_a_warning(make_site):
    site = make_site({P: page("P", extra="aliases:\n  - /p/\n  - /old-p/\n")})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has(P, 5, "warning", "alias `/p/`", "not needed")
    assert not any("move the other page" in m for _, _, _, m in r.diagnostics)
    assert (site / "_site/old-p/index.html").is_file()
    assert "/p/" in (site / "_site/p/index.html").read_text()   # the page itself, not a redirect


def test_an_alias_listed_twice_is_a_warning(make_site):
    site = make_site({P: page("P", extra="aliases:\n  - /old-p/\n  - /old-p\n")})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has(P, 6, "warning", "alias `/old-p`", "listed twice")


def test_an_alias_at_a_generated_section_address_is_a_warning(make_site):
    site = make_site({"content/docs/a.md": page("A", extra="aliases: [/docs/]\n"), "content/docs/b.md": page("B")})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has("content/docs/a.md", 4, "warning", "alias `/docs/`", "content/docs/", "_index.md")
    assert "document-list" in (site / "_site/docs/index.html").read_text()   # the section's list, not a redirect


def test_an_alias_at_a_written_section_address_collides(make_site):
    site = make_site({"content/docs/_index.md": page("Docs", None), "content/docs/a.md": page("A", extra="aliases: [/docs/]\n")})
    r = build(site)
    assert r.code == 1
    r.assert_has("content/docs/a.md", 4, "error", "collides with content/docs/_index.md")


def test_an_alias_on_another_page_still_collides(make_site):
    site = make_site({P: page("P"), "content/q.md": page("Q", extra="aliases:\n  - /p/\n")})
    r = build(site)
    assert r.code == 1
    r.assert_has("content/q.md", 5, "error", "collides with", "move the other page")


def test_an_alias_onto_a_further_page_of_a_long_listing_collides(make_site):
    pages = {f"content/news/n{i:02}.md": page(f"N{i}") for i in range(25)}   # 25 pages: the list takes two
    pages["content/q.md"] = page("Q", extra="aliases:\n  - /news/page-2/\n")
    site = make_site(pages)
    r = build(site)
    assert r.code == 1
    r.assert_has("content/q.md", 5, "error", "alias `/news/page-2/`", "page 2 of the list at /news/")


def test_each_alias_onto_a_further_page_in_another_case_collides_and_other_aliases_stay(make_site):
    # /news/page-2/ and /News/page-2/ are one folder on a disk that ignores case, as the other aliases'
    # checks take it. The addresses folded for the first alias are kept for the next (made once for the build).
    pages = {f"content/news/n{i:02}.md": page(f"N{i}") for i in range(45)}
    pages["content/news/_index.md"] = page("News", extra="url: /News/\n")
    pages["content/q.md"] = page("Q", extra="aliases:\n  - /news/page-2/\n  - /old/page-2/\n")
    pages["content/r.md"] = page("R", extra="aliases:\n  - /NEWS/page-3/\n  - /news/page-4/\n")
    site = make_site(pages)
    r = build(site)
    assert r.code == 1
    r.assert_has("content/q.md", 5, "error", "alias `/news/page-2/`", "page 2 of the list at /News/")
    r.assert_has("content/r.md", 5, "error", "alias `/NEWS/page-3/`", "page 3 of the list at /News/")
    assert "/old/page-2/" not in r.err and "/news/page-4/" not in r.err   # no such page, no such listing page


def test_an_alias_not_needed_fails_only_under_strict(make_site):
    site = make_site({P: page("P", extra="aliases:\n  - /p/\n")})
    assert run("build", str(site), "--strict").code == 1
    assert run("build", str(site)).code == 0


def test_each_kind_of_problem_has_its_code(make_site):
    from policysite.builder import BuildOptions
    from policysite.builder import build as build_site_dir
    body = ('<a href="https://e.org/" target="_blank">a</a>\n\n<iframe src="https://www.youtube.com/embed/x"></iframe>\n\n'
            '{{< relref "x.md" >}}\n')
    config = ("title: Department of Testing\nbase_url: https://www.example.gov.uk/\n"
              "markdown_extensions:\n  - no_such_extension_here\n")
    site = make_site({"site_config.yaml": config, P: page("P", extra="aliases: [/p/]\n", body=body)})
    result = build_site_dir(BuildOptions(site_dir=site, write=False))
    codes = {(d.path, d.line, d.code) for d in result.diagnostics.items}
    assert {(P, 6, "presentational-attribute"), (P, 8, "embed-replaced"), (P, 10, "template-tag"),
            (P, 4, "alias-not-needed"), ("site_config.yaml", 4, "markdown-extension")} <= codes, codes


def test_angle_brackets_in_fenced_code_blocks_are_not_raw_html(make_site):
    """Two fenced blocks with prose between them pair up as two blocks: `<app>` inside one is code, not HTML."""
    body = "Intro.\n\n```\ncf login\n```\n\nMore.\n\n```\ncf push <app>\n```\n"
    site = make_site({"content/a.md": page("A", body=body)})
    result = run("check", site, "--strict")
    assert result.code == 0, result.err
    assert "<app>" not in result.err
