"""`policysite import hugo|jekyll SRC DEST`, through the command line, on small fixture sites."""

from __future__ import annotations

import hashlib
import os
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, run

HUGO = FIXTURES / "import-hugo"
JEKYLL = FIXTURES / "import-jekyll"


def tree_digest(root: Path) -> str:
    """One hash over every path, file's bytes and link target under root."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def front(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), text
    return yaml.safe_load(text.split("---\n", 2)[1])


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n", 2)[2]


def do_import(kind: str, src: Path, dest: Path):
    result = run("import", kind, src, dest)
    result.assert_no_traceback()
    assert result.code == 0, result.err + result.out
    return result


@pytest.fixture
def hugo_site(tmp_path):
    dest = tmp_path / "hugo-out"
    result = do_import("hugo", HUGO, dest)
    return dest, result


@pytest.fixture
def jekyll_site(tmp_path):
    dest = tmp_path / "jekyll-out"
    result = do_import("jekyll", JEKYLL, dest)
    return dest, result


# ---------------------------------------------------------------- Hugo

def test_hugo_every_page_becomes_one_page(hugo_site):
    dest, result = hugo_site
    pages = sorted(p.relative_to(dest / "content").as_posix() for p in (dest / "content").rglob("*.md"))
    assert pages == ["_index.md", "about.md", "fr/about.md", "guidance/_index.md", "guidance/apply.md",
                     "guidance/report.md"]
    assert "Imported 6 source pages as 6 pages" in result.out
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "- content/guidance/report/index.md → content/guidance/report.md" in report
    assert "- content/about.fr.md → content/fr/about.md" in report


def test_hugo_toml_front_matter_keeps_time_aliases_topics_and_extra(hugo_site):
    dest, _ = hugo_site
    about = front(dest / "content/about.md")
    assert about["title"] == "About us"
    assert about["description"] == "Who we are and what we do."
    assert str(about["date"]) in ("2015-09-16 11:10:24-04:00", "2015-09-16T11:10:24-04:00")
    assert "date: 2015-09-16T11:10:24-04:00" in (dest / "content/about.md").read_text()
    assert str(about["updated"]) == "2016-01-05"
    assert about["aliases"] == ["/old-about/"]
    assert about["topics"] == ["health-care", "nhs"]
    assert about["extra"]["author"] == "Press office"
    assert about["extra"]["translationKey"] == "about"


def test_hugo_yaml_front_matter_summary_taxonomies_and_weight(hugo_site):
    dest, _ = hugo_site
    apply = front(dest / "content/guidance/apply.md")
    assert apply["description"] == "The steps to apply for a grant."
    assert "date: 2019-03-01T09:30:00+01:00" in (dest / "content/guidance/apply.md").read_text()
    assert apply["weight"] == 2
    assert apply["topics"] == ["grants", "money"]     # categories and the configured `themes`
    config = yaml.safe_load((dest / "site_config.yaml").read_text())
    assert config["topics"]["health-care"] == {"name": "Health Care"}
    assert config["topics"]["money"] == {"name": "Money"}
    assert config["title"] == "Example Department"
    assert config["base_url"] == "https://www.example.gov/"
    assert config["language"] == "en-GB"


def test_hugo_menus_become_nav(hugo_site):
    dest, _ = hugo_site
    config = yaml.safe_load((dest / "site_config.yaml").read_text())
    assert config["nav"] == ["about.md", "guidance/_index.md"]   # front matter weight 1, then config weight 2
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "the menu `footer` (1 entries) was not imported" in report


def test_hugo_bundle_resource_copied_beside_and_linked(hugo_site):
    dest, _ = hugo_site
    assert (dest / "content/guidance/report/chart.png").read_bytes() == (HUGO / "content/guidance/report/chart.png").read_bytes()
    text = body(dest / "content/guidance/report.md")
    assert "![Chart of spending](report/chart.png)" in text
    # A relative link to the old address of a sibling, with its anchor.
    assert "[how to apply](apply.md#eligibility)" in text
    # An image named by a key the old site's template looked up: left, with what to do.
    assert '{{< img src="team-photo" >}}' in text
    assert "`team-photo` is a name the old site's template turned into an address" in (dest / "IMPORT-REPORT.md").read_text()


def test_hugo_shortcodes_and_links(hugo_site):
    dest, result = hugo_site
    text = body(dest / "content/guidance/apply.md")
    assert "[the findings](report.md#key-findings)" in text          # relref by path, with anchor
    assert "[who we are](../about.md)" in text                       # ref by unique name
    assert "![Bar chart of grants by region](../files/chart.png)" in text   # figure, static file kept
    assert "^Applications close on 1 April.^" in text                # note -> information callout
    assert '{{< tweet user="example" id="123" >}}' in text           # unknown: left in place
    assert "[an old page](/nowhere/)" in text                        # no such page: left
    about = body(dest / "content/about.md")
    assert "[our guidance](guidance/_index.md)" in about             # root-relative
    assert "[application form](guidance/apply.md)" in about          # absolute to the site's own host
    assert "Call 0300 123 4567." in about                            # param from config
    assert (dest / "content/files/form.pdf").is_file()               # static/ keeps its address
    assert "[How to apply, in 3 minutes](https://www.youtube.com/watch?v=dQw4w9WgXcQ)" in text
    assert "```python\nprint(\"apply\")\n```" in text
    assert "Converted: figure 1, highlight 1, note 1, param 1, ref 1, relref 1, youtube 1" in result.out
    assert "Left in place: {{< img >}} 1, {{< tweet >}} 1" in result.out


def test_hugo_report_lists_left_items_with_file_and_line(hugo_site):
    dest, _ = hugo_site
    report = (dest / "IMPORT-REPORT.md").read_text()
    lines = (dest / "content/guidance/apply.md").read_text().splitlines()
    tweet_line = next(i for i, line in enumerate(lines, 1) if "{{< tweet" in line)
    nowhere_line = next(i for i, line in enumerate(lines, 1) if "/nowhere/" in line)
    errors, warnings = report.split("## Errors to fix first (2)", 1)[1].split("## Warnings (4)", 1)
    # The broken link is an error `check` reports; the tag left in place only a warning.
    assert f"- content/guidance/apply.md:{nowhere_line}: `/nowhere/`" in errors
    assert f"- content/guidance/apply.md:{tweet_line}: `{{{{< tweet" in warnings.split("\n## ", 1)[0]
    assert "### `broken-link` (2)" in errors and "### `template-tag` (2)" in warnings


def test_hugo_multilingual_pair_imports_as_a_section(hugo_site):
    dest, _ = hugo_site
    french = front(dest / "content/fr/about.md")
    assert french["title"] == "À propos"
    assert french["extra"]["translationKey"] == "about"
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "## Languages" in report and "content/fr/" in report


# ---------------------------------------------------------------- Jekyll

def test_jekyll_pages_posts_and_collections(jekyll_site):
    dest, result = jekyll_site
    pages = sorted(p.relative_to(dest / "content").as_posix() for p in (dest / "content").rglob("*.md"))
    # guides.md (permalink /guides/) has a page below its address, so it is that folder's index.
    assert pages == ["_index.md", "about-us.md", "guides/_index.md", "guides/apply.md",
                     "posts/2020-01-02-first-post.md", "posts/2020-02-03-second.md"]
    assert "Imported 7 source pages as 6 pages and 1 aliases" in result.out   # team.md only redirected
    assert "the collection `notes` has no `output: true`" in (dest / "IMPORT-REPORT.md").read_text()


def test_jekyll_post_date_from_name_permalinks_and_redirects(jekyll_site):
    dest, _ = jekyll_site
    first = front(dest / "content/posts/2020-01-02-first-post.md")
    assert str(first["date"]) == "2020-01-02"
    assert first["url"] == "/2020/01/02/first-post/"            # permalink: pretty, kept
    assert first["topics"] == ["data", "health"]                  # tags as Jekyll splits them
    second = front(dest / "content/posts/2020-02-03-second.md")
    assert "date: 2020-02-03T10:00:00+01:00" in (dest / "content/posts/2020-02-03-second.md").read_text()
    assert str(second["updated"]) == "2020-03-01"
    assert second["draft"] is True                                # published: false
    assert second["description"] == "The second post, not yet published."
    about = front(dest / "content/about-us.md")
    assert about["aliases"] == ["/team/", "/old-about/", "/about.html"]   # redirect_to elsewhere, then redirect_from
    assert "url" not in about                                     # /about-us/ is where the file now is


def test_jekyll_liquid_links_and_tags(jekyll_site):
    dest, result = jekyll_site
    post = body(dest / "content/posts/2020-01-02-first-post.md")
    assert "[a guide](../guides/apply.md)" in post                # {% link %}
    assert "[about page](../about-us.md)" in post                 # {{ site.baseurl }}/path/
    second = body(dest / "content/posts/2020-02-03-second.md")
    assert "[our first post](2020-01-02-first-post.md)" in second   # post_url
    # A site value that is set nowhere shows nothing in Liquid, so it goes.
    assert "[the first post again](2020-01-02-first-post.md)" in second
    guide = body(dest / "content/guides/apply.md")
    assert "[about us](../about-us.md)" in guide                  # {{ site.baseurl }}{% link %}
    assert "%Apply before 1 April.%" in guide                     # alert include -> warning callout
    assert "{% include signup-form.html %}" in guide              # other include: left
    assert "{:toc}" not in guide and "* TOC" not in guide
    assert '```ruby\nputs "hello"\n```' in guide
    assert "{: .lead}" in guide                                  # attribute lists are kept, and listed
    lines = (dest / "content/guides/apply.md").read_text().splitlines()
    lead = lines.index("{: .lead}") + 1
    assert f"- content/guides/apply.md:{lead}: `{{: .lead}}` kept" in (dest / "IMPORT-REPORT.md").read_text()
    about = body(dest / "content/about-us.md")
    assert "Write to help@example.gov." in about                  # {{ site.x }}: its value
    assert "![The agency's logo](images/logo.png)" in about        # an image include
    assert "<!--Ask the press office before changing this page.-->" in about   # {% comment %}
    assert front(dest / "content/guides/apply.md")["extra"] == {"sidenav": True}
    assert "Fields kept under extra: layout 2, sidenav 1" in result.out


def test_jekyll_site_config_nav_and_assets(jekyll_site):
    dest, _ = jekyll_site
    config = yaml.safe_load((dest / "site_config.yaml").read_text())
    assert config["title"] == "Example Agency"
    assert config["base_url"] == "https://www.example.gov/"
    assert config["nav"] == ["about-us.md", {"title": "Guides", "url": "/guides/apply/"},
                             {"title": "Status", "url": "https://status.example.gov/"}]
    assert (dest / "assets/css/site.css").is_file()
    assert (dest / "content/images/logo.png").is_file()
    assert not (dest / "content/README.md").exists()


def test_jekyll_description_from_first_paragraph_is_reported(jekyll_site):
    dest, _ = jekyll_site
    report = (dest / "IMPORT-REPORT.md").read_text()
    # A post has an excerpt: its first paragraph, as plain text.
    post = front(dest / "content/posts/2020-01-02-first-post.md")
    assert post["description"] == "We have published a guide and an about page."
    assert "## Descriptions made from the page's opening" in report
    assert "- content/posts/2020-01-02-first-post.md:2: made from the page's first paragraph (Jekyll" in report
    # A page is summarised the same way, its Liquid output run first.
    about = front(dest / "content/about-us.md")
    assert about["description"] == "The Example Agency helps people apply for grants. Write to help@example.gov."
    assert "- content/about-us.md:2: made from the page's first paragraph" in report


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_descriptions_made_as_hugo_makes_its_summary(tmp_path):
    """No description in the source: the text before `<!--more-->`, else the first paragraph, trimmed."""
    long = ("This guidance explains how councils should plan for flooding and who pays for the defences on a river bank. "
            "It applies from May to every council in England and the agencies working with them.")
    write_tree(tmp_path / "src", {
        "hugo.toml": 'baseURL = "https://www.example.gov/"\ntitle = "Example"\n',
        "content/divided.md": """\
            ---
            title: Divided
            ---
            ## Overview

            The **first** part, with [a link](https://example.org/).

            And the second part.
            <!--more-->
            Not in the summary.
            """,
        "content/opening.md": """\
            ---
            title: Opening
            ---
            # Opening

            {{< figure src="/map.png" alt="A map" >}}

            <div class="intro"><p>Plans &amp; budgets for 2024, as agreed.</p></div>

            Later text.
            """,
        "content/long.md": f"---\ntitle: Long\n---\n{long}\n",
        "content/listed.md": "---\ntitle: Listed\n---\nServices:\n\n- Upgraded the release\n- Added monitoring\n",
        "content/empty.md": "---\ntitle: Empty\n---\n## Only a heading\n\n![A chart](chart.png)\n",
    })
    dest = tmp_path / "out"
    do_import("hugo", tmp_path / "src", dest)
    content = dest / "content"
    assert front(content / "divided.md")["description"] == "The first part, with a link. And the second part."
    assert front(content / "opening.md")["description"] == "Plans & budgets for 2024, as agreed."
    made = front(content / "long.md")["description"]
    assert made == long.split(" It applies")[0]                   # whole sentences within 160 characters
    assert front(content / "listed.md")["description"] == "Services: Upgraded the release. Added monitoring."
    assert "description" not in front(content / "empty.md")      # no text to make one from
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "- content/divided.md:2: made from the text before `<!--more-->`" in report
    assert "- content/opening.md:2: made from the page's first paragraph (Hugo" in report
    assert "- content/empty.md:2: no description" in report     # the line `check` names
    result = run("check", dest)
    result.assert_no_traceback()
    assert [(p, n) for p, n, m in result.errors() if "description" in m] == [("content/empty.md", 2)]


def test_presentational_attributes_and_character_references_are_converted_on_import(tmp_path):
    write_tree(tmp_path / "src", {
        "hugo.toml": 'baseURL = "https://www.example.gov/"\ntitle = "Example"\n',
        "content/post.md": """\
            ---
            title: It&#8217;s here
            description: Tools &amp; guides
            ---
            <p style="margin: 0">Read <a href="https://example.org/" target="_blank">this</a>
            and <a href="https://example.org/2" target="_blank" onclick="track()">that</a>.</p>

            <img src="https://example.org/a.png" alt="A" width="10" srcset="https://example.org/a.png 1x"
              sizes="100vw">

            `<a target="_blank">` in code stays.

            [broken](nowhere.md)
            """,
    })
    dest = tmp_path / "out"
    do_import("hugo", tmp_path / "src", dest)
    page = dest / "content/post.md"
    assert front(page)["title"] == "It\u2019s here"
    assert front(page)["description"] == "Tools & guides"
    text = body(page)
    assert 'target="_blank"' not in text.split("`")[0] and "style=" not in text and "srcset" not in text
    assert 'onclick="track()"' in text and 'width="10"' in text     # scripts are for check; allowed ones stay
    assert '`<a target="_blank">` in code stays.' in text
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert ("- content/post.md:5: 2 `target`, 1 `sizes`, 1 `srcset` and 1 `style` attributes removed from the page's HTML"
            in report)
    result = run("check", dest)
    result.assert_no_traceback()
    lines = page.read_text().splitlines()
    broken = next(i for i, line in enumerate(lines, 1) if "nowhere.md" in line)
    # Lines hold after the attributes went; the script attribute is still reported, one by one.
    assert [(p, n) for p, n, _ in result.errors()] == [("content/post.md", broken)]
    assert [m for _, _, m in result.warnings()] == ["the `onclick` attribute on `<a>` runs scripts and was removed"]


# ---------------------------------------------------------------- the report

def test_report_opens_with_what_check_says(hugo_site, jekyll_site):
    """The counts at the top, and each error's file:line, are those `check` gives on the new site."""
    for dest, result in (hugo_site, jekyll_site):
        checked = run("check", dest)
        errors, warnings = len(checked.errors()), len(checked.warnings())
        plural = "s" * (warnings != 1)
        if errors:
            verdict = (f"`policysite check` finds {errors} error{'s' * (errors != 1)} and {warnings} warning{plural} "
                       "in the new site: it will not build until the errors are fixed")
        else:
            verdict = f"`policysite check` finds no errors and {warnings} warning{plural}: the new site builds"
        report = (dest / "IMPORT-REPORT.md").read_text()
        assert report.split("\n")[2].startswith(verdict)
        assert result.out.startswith(verdict)
        first = report.split("## Errors to fix first", 1)[1].split("## Warnings", 1)[0] if errors else ""
        listed = {(path, int(line)) for path, line in
                  (entry[2:].split(":")[:2] for entry in first.splitlines() if entry.startswith("- "))}
        assert listed == {(path, line) for path, line, _ in checked.errors()}
        assert f"## Warnings ({warnings})" in report
        assert "see IMPORT-REPORT.md" not in report and "see IMPORT-REPORT.md" in result.out


def test_report_lists_only_pages_whose_file_or_address_changed(hugo_site):
    dest, _ = hugo_site
    report = (dest / "IMPORT-REPORT.md").read_text()
    moved = report.split("## Pages whose file or address changed (2)", 1)[1]
    assert "- content/guidance/report/index.md → content/guidance/report.md" in moved
    assert "content/guidance/apply.md" not in moved          # same file, same address


def hugo_without_static(tmp_path: Path, body: str) -> Path:
    src = tmp_path / "src"
    (src / "content/guide").mkdir(parents=True)
    (src / "config.toml").write_text('title = "Service"\nbaseURL = "https://www.example.gov/"\n')
    (src / "content/guide/one.md").write_text("---\ntitle: One\ndescription: The first.\n---\n" + body)
    return src


def test_links_left_are_grouped_by_folder_saying_the_old_files_were_not_found(tmp_path):
    src = hugo_without_static(tmp_path, "![A](/img/a.png)\n\n![B](/img/b.png)\n\n[Form](/resources/form.pdf)\n\n"
                                        "[Gone](/guide/gone/)\n\n<!--\n![Hidden](/img/hidden.png)\n-->\n")
    dest = tmp_path / "out"
    result = do_import("hugo", src, dest)
    assert "Links: 0 rewritten, 4 left as written: 2 under /img/, 1 under /guide/, 1 under /resources/." in result.out
    note = "the old site's static/img/ was not found: copy those files into content/img/ and these links will work"
    assert note in result.out
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert f"Under /img/ (2): {note}" in report
    assert "Under /resources/ (1): the old site's static/resources/ was not found" in report
    assert "Under /guide/ (1)\n" in report                   # a page address: no files to copy
    assert "hidden.png" not in report                          # never shown, so never checked
    (dest / "content/img").mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(HUGO / "static/files/chart.png", dest / "content/img" / name)   # as the note says
    assert not any("/img/" in message for _, _, message in run("check", dest).errors())


def test_a_malformed_link_is_not_a_valid_address_and_its_quoting_holds(tmp_path):
    src = hugo_without_static(tmp_path, "See the [`tool`](`https://github.com/example/tool) repository.\n")
    dest = tmp_path / "out"
    do_import("hugo", src, dest)
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert ("- content/guide/one.md:5: `` `https://github.com/example/tool ``: not a valid address "
            "(it holds `` ` ``): correct the link") in report
    assert "``https" not in report


@pytest.mark.parametrize("value,quoted", [
    ("/img/a.png", "`/img/a.png`"),
    ("`https://x", "`` `https://x ``"),
    ("a``b", "```a``b```"),
])
def test_quoted_values_keep_their_backticks(value, quoted):
    from policysite.importer.report import code
    assert code(value) == quoted




# ---------------------------------------------------------------- safety

@pytest.mark.parametrize("kind,src", [("hugo", HUGO), ("jekyll", JEKYLL)])
def test_source_is_untouched(tmp_path, kind, src):
    copy = tmp_path / "src"
    shutil.copytree(src, copy)
    before = tree_digest(copy)
    do_import(kind, copy, tmp_path / "out")
    assert tree_digest(copy) == before


def test_refuses_a_destination_that_is_not_empty(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    result = run("import", "hugo", HUGO, dest)
    result.assert_no_traceback()
    assert result.code == 2
    assert "is not empty" in result.err
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]


def test_refuses_a_destination_inside_the_source(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(HUGO, src)
    result = run("import", "hugo", src, src / "out")
    assert result.code == 2
    assert "inside" in result.err
    assert not (src / "out").exists()


def test_odd_files_give_no_traceback_and_are_reported(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(HUGO, src)
    (src / "content/guidance/Café Plans (Draft).md").write_text("---\ntitle: [unclosed\n---\nBody.\n")
    (src / "content/guidance/no-front.md").write_text("Just text.\n")
    (src / "content/guidance/binary.md").write_bytes(b"\x00\x01\x02")
    (src / "content/guidance/latin.md").write_bytes("---\ntitle: Caf\xe9\n---\nx\n".encode("latin-1"))
    (src / "content/guidance/json.md").write_text('{\n  "title": "From JSON",\n  "tags": ["Data"]\n}\nBody.\n')
    (src / "content/guidance/page.html").write_text("---\ntitle: An HTML page\n---\n<p>Hello</p>\n")
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\n")
    (src / "content/guidance/link.md").symlink_to(outside)
    result = do_import("hugo", src, tmp_path / "out")
    content = tmp_path / "out/content/guidance"
    odd = front(content / "cafe-plans-draft.md")
    assert odd["title"] == "Café Plans (Draft)"                   # made from the file name
    assert "title: [unclosed" in odd["extra"]["source_front_matter"]
    assert front(content / "no-front.md")["title"] == "No front"
    assert front(content / "latin.md")["title"] == "Café"
    assert front(content / "json.md")["title"] == "From JSON"
    assert front(content / "json.md")["topics"] == ["data"]
    assert body(content / "json.md") == "Body.\n"
    assert body(content / "page.md") == "<p>Hello</p>\n"
    assert not (content / "link.md").exists()
    assert not (content / "binary.md").exists()
    report = (tmp_path / "out/IMPORT-REPORT.md").read_text()
    assert "a link to a place outside the source site" in report
    assert "binary data" in report
    assert "could not be read" in report
    assert "Imported 11 source pages as 11 pages" in result.out


@pytest.mark.parametrize("how", ["staticDir", "link"])
def test_a_static_or_assets_folder_outside_the_source_is_not_read(tmp_path, how):
    # The source's configuration (or a link) may name any folder on the machine: none is copied in.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET\n")
    src = tmp_path / "src"
    shutil.copytree(HUGO, src)
    if how == "staticDir":
        config = src / "hugo.toml"
        config.write_text(f"staticDir = {str(outside)!r}\n" + config.read_text())
    else:
        os.symlink(outside, src / "assets", target_is_directory=True)
    result = do_import("hugo", src, tmp_path / "out")
    assert result.code == 0, result.err
    found = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and "TOP SECRET" in p.read_text(errors="replace")]
    assert found == []
    assert "outside the source site (or a link to a place outside it): not read" in (tmp_path / "out/IMPORT-REPORT.md").read_text()


def test_imported_sites_check_with_only_their_own_content_problems(hugo_site, jekyll_site):
    """`check` on the imported fixtures finds only what the fixtures really lack, at the lines the report names."""
    dest, _ = hugo_site
    result = run("check", dest)
    result.assert_no_traceback()
    lines = (dest / "content/guidance/apply.md").read_text().splitlines()
    nowhere = next(i for i, line in enumerate(lines, 1) if "/nowhere/" in line)
    # The French page links to an English-only page; /nowhere/ never existed.
    assert sorted((p, n) for p, n, _ in result.errors()) == [("content/fr/about.md", 7),
                                                            ("content/guidance/apply.md", nowhere)]
    dest, _ = jekyll_site
    result = run("check", dest)
    result.assert_no_traceback()
    assert result.errors() == []


def test_hugo_language_folders_redirect_pages_and_anchor_spelling(tmp_path):
    src = tmp_path / "src"
    files = {
        "config/_default/config.yaml": """\
            defaultContentLanguage: en
            languages:
              en:
                baseUrl: https://www.example.ca/
                contentDir: content/en
                languageCode: en-CA
                title: Example service
                permalinks:
                  blog: /:year/:month/:day/:filename
              fr:
                baseUrl: https://www.exemple.ca/
                contentDir: content/fr
                title: Service exemple
                permalinks:
                  blog: /:year/:month/:day/:filename
            """,
        "content/en/blog/launch.md": """\
            ---
            title: We launched
            description: The service is live.
            date: '2017-12-07 09:00:00 -0400'
            translationKey: launch
            ---
            Read the [setup guide]({{< relref "setup.md#log-into-cloud-gov" >}}).
            """,
        "content/en/setup.md": """\
            ---
            title: Setup
            description: How to set up.
            ---
            ## Log into cloud.gov

            Steps. Then read [the blog](https://www.example.ca/blog/) ([again]({{< relref "blog" >}})).
            """,
        "content/en/old-setup.html": '<meta http-equiv="refresh" content="0; url=https://www.example.ca/setup/" />\n',
        "content/fr/blog/lancement.md": """\
            ---
            title: Lancement
            description: Le service est en ligne.
            date: '2017-12-07 09:00:00 -0400'
            translationKey: launch
            ---
            Voir [la version anglaise](https://www.example.ca/2017/12/07/launch/) et [ce billet](https://www.exemple.ca/2017/12/07/lancement/).
            """,
    }
    import textwrap
    for rel, text in files.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    dest = tmp_path / "out"
    result = do_import("hugo", src, dest)
    assert "Imported 4 source pages as 3 pages and 1 aliases" in result.out
    launch = front(dest / "content/blog/launch.md")
    assert launch["url"] == "/2017/12/07/launch/"                       # the blog permalink, kept
    assert "[setup guide](../setup.md#log-into-cloudgov)" in body(dest / "content/blog/launch.md")
    assert front(dest / "content/setup.md")["aliases"] == ["/old-setup/"]   # the redirect page
    # blog/ has no index page: the new site lists the folder at the same address.
    assert "[the blog](/blog/) ([again](/blog/))" in body(dest / "content/setup.md")
    assert "## Links left" not in (dest / "IMPORT-REPORT.md").read_text()
    french = dest / "content/fr/blog/lancement.md"
    assert front(french)["url"] == "/fr/2017/12/07/lancement/"
    text = body(french)
    assert "[la version anglaise](../../blog/launch.md)" in text        # the other language's own domain
    assert "[ce billet](lancement.md)" in text
    config = yaml.safe_load((dest / "site_config.yaml").read_text())
    assert config["title"] == "Example service"
    assert config["base_url"] == "https://www.example.ca/"
    assert config["language"] == "en-CA"


def test_jekyll_site_published_under_a_path(tmp_path):
    src = tmp_path / "src"
    (src / "_posts").mkdir(parents=True)
    (src / "_config.yml").write_text("title: Agency\nurl: https://example.github.io\nbaseurl: /agency\n")
    (src / "about.md").write_text("---\ntitle: About\ndescription: About us.\n---\nHello.\n")
    (src / "_posts/2021-05-17-hello.md").write_text(
        "---\ntitle: Hello\ndate: May 17th, 2021\n---\n"
        "See [about](/agency/about.html), [again]({{ site.baseurl }}/about.html) "
        "and [in full](https://example.github.io/agency/about.html).\n")
    dest = tmp_path / "out"
    do_import("jekyll", src, dest)
    post = dest / "content/posts/2021-05-17-hello.md"
    assert body(post).count("(../about.md)") == 3
    assert str(front(post)["date"]) == "2021-05-17"              # a date as Ruby reads it
    assert front(post)["url"] == "/2021/05/17/hello/"              # permalink style `date`: .html dropped
    assert front(post)["aliases"] == ["/2021/05/17/hello.html"]  # ... and kept as an alias
    about = front(dest / "content/about.md")
    assert about["aliases"] == ["/about.html"]                   # the old .html address redirects
    config = yaml.safe_load((dest / "site_config.yaml").read_text())
    assert config["base_url"] == "https://example.github.io/agency/"


# ---------------------------------------------------------------- units

@pytest.mark.parametrize("written,expected", [
    ("2015-09-16 11:10:24 -0400", "2015-09-16T11:10:24-04:00"),
    ("2015-09-16T11:10:24Z", "2015-09-16T11:10:24+00:00"),
    ("2015-09-16T11:10:24.123+05:30", "2015-09-16T11:10:24+05:30"),
    ("2015-09-16 11:10", "2015-09-16T11:10:00"),
    ("2015-9-6", "2015-09-06"),
    ("May 17, 2021", "2021-05-17"),
    ("March 4th 2022", "2022-03-04"),
    ("2015-02-30", None),
    ("soon", None),
])
def test_dates_as_the_old_generators_read_them(written, expected):
    from policysite.importer.frontmatter import when
    assert when(written) == expected


@pytest.mark.parametrize("heading,old", [
    ("Log into cloud.gov", {"log-into-cloud-gov", "log-into-cloudgov"}),        # Hugo before 0.60; goldmark and kramdown
    ("Step 2: Create CNAME record(s)", {"step-2-create-cname-record-s", "step-2-create-cname-records"}),
    ("2. Go build", {"2-go-build", "go-build"}),                                 # kramdown drops leading digits
])
def test_heading_ids_of_the_old_generators_map_to_ours(heading, old):
    from policysite.importer.anchors import id_map
    from policysite.markup import heading_id
    ours, mapped = id_map(f"## {heading}\n\nText.\n")
    assert ours == {heading_id(heading)}
    for spelling in old - ours:
        assert mapped[spelling] == heading_id(heading)


def test_jekyll_slugify_keeps_letters_that_site_slugify_folds():
    from policysite.importer.jekyll import jekyll_slugify
    from policysite.site import slugify
    assert jekyll_slugify("Café Plans_2021") == "café-plans-2021"
    assert slugify("Café Plans_2021") == "cafe-plans-2021"


# ---------------------------------------------------------------- the source's kind

@pytest.mark.parametrize("kind,src,says", [
    ("jekyll", HUGO, "looks like a Hugo site, not a Jekyll one: use `import hugo`"),
    ("hugo", JEKYLL, "looks like a Jekyll site, not a Hugo one: use `import jekyll`"),
])
def test_refuses_a_site_of_the_other_kind(tmp_path, kind, src, says):
    result = run("import", kind, src, tmp_path / "out")
    result.assert_no_traceback()
    assert result.code == 2
    assert says in result.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["hugo", "jekyll"])
def test_refuses_a_plain_folder(tmp_path, kind):
    src = tmp_path / "notes"
    src.mkdir()
    (src / "a.md").write_text("---\ntitle: A\n---\nText.\n")
    result = run("import", kind, src, tmp_path / "out")
    result.assert_no_traceback()
    assert result.code == 2
    assert "does not look like a" in result.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("config", ["config.yaml", "hugo.json", "config/_default/hugo.toml"])
def test_hugo_configuration_in_any_of_its_places_is_accepted(tmp_path, config):
    src = tmp_path / "src"
    (src / "content").mkdir(parents=True)
    (src / config).parent.mkdir(parents=True, exist_ok=True)
    (src / config).write_text("{}\n" if config.endswith((".json", ".yaml")) else "title = 'X'\n")
    (src / "content/a.md").write_text("---\ntitle: A\ndescription: A page.\n---\nText.\n")
    do_import("hugo", src, tmp_path / "out")
    assert (tmp_path / "out/content/a.md").is_file()


def test_jekyll_baseurl_alone_links_to_the_home_page(tmp_path):
    write_tree(tmp_path / "src", {
        "_config.yml": "title: Agency\nurl: https://www.example.gov\n",
        "index.md": "---\ntitle: Home\n---\nWelcome to the agency's site.\n",
        "guides/about.md": ("---\ntitle: About\ndescription: About us.\n---\n"
                            "Back to [the home page]({{ site.baseurl }}) or <a href=\"{{ site.baseurl }}\">home</a>.\n"),
    })
    dest = tmp_path / "out"
    do_import("jekyll", tmp_path / "src", dest)
    text = body(dest / "content/guides/about.md")
    assert "[the home page](../_index.md)" in text, text
    assert "()" not in text and 'href=""' not in text
    result = run("check", dest)
    result.assert_no_traceback()
    assert result.errors() == []


def test_top_level_headings_in_a_body_move_down_a_level(tmp_path):
    write_tree(tmp_path / "src", {
        "hugo.toml": 'baseURL = "https://www.example.gov/"\ntitle = "Example"\n',
        "content/log.md": ("---\ntitle: Change log\ndescription: What changed.\n---\nIntro.\n\n# Changes\n\nText.\n\n"
                           "## Fixed\n\n```\n# a comment in code\n```\n\nAdded\n=====\n\nSee [fixed](#fixed).\n"),
        "content/plain.md": "---\ntitle: Plain\ndescription: Plain.\n---\n## Already right\n",
    })
    dest = tmp_path / "out"
    do_import("hugo", tmp_path / "src", dest)
    assert body(dest / "content/log.md") == ("Intro.\n\n## Changes\n\nText.\n\n### Fixed\n\n```\n# a comment in code\n```\n\n"
                                             "Added\n-----\n\nSee [fixed](#fixed).\n")
    assert body(dest / "content/plain.md") == "## Already right\n"
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "- content/log.md:7: 2 top-level headings in the body: every heading moved down a level" in report
    result = run("check", dest)
    result.assert_no_traceback()
    assert result.errors() == [] and result.warnings() == []


@pytest.mark.parametrize("kind,files,where", [
    ("hugo", {"hugo.toml": 'baseURL = "https://www.example.gov/"\ntitle = "Example"\nparams = = 3\n'},
     "hugo.toml:3: the configuration could not be read: a value TOML cannot read (text must be in double quotes), "
     "at column 10 of `params = = 3`."),
    ("hugo", {"config/_default/hugo.json": '{\n  "title": "Example",\n  "baseURL": \n}\n'},
     "config/_default/hugo.json:4: the configuration could not be read: expecting value, at column 1 of `}`."),
    ("jekyll", {"_config.yml": "title: Example\nurl: https://www.example.gov\nexclude: [drafts\n"},
     "_config.yml:3: the configuration could not be read:"),
])
def test_an_unreadable_configuration_is_reported_at_its_line_and_fails_the_import(tmp_path, kind, files, where):
    write_tree(tmp_path / "src", {**files, ("content/" if kind == "hugo" else "") + "a.md":
                                  "---\ntitle: A\ndescription: A page.\n---\nText.\n"})
    dest = tmp_path / "out"
    result = run("import", kind, tmp_path / "src", dest)
    result.assert_no_traceback()
    # The new site is written, but without the old one's title, address and languages: not a finished import.
    assert result.code == 1
    assert (dest / "content/a.md").is_file()
    line = where.split(": ", 1)[0]
    said = "the configuration could not be read, so the settings taken from it ("
    assert f"{tmp_path / 'src' / line}: error: {said}" in result.err
    assert result.out.startswith(f"The configuration could not be read ({line}): the settings taken from it (")
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert f"- {where}" in report
    assert "Error)" not in report and "Error:" not in report      # no parser's class names
    assert "the old site's configuration could not be read, so it gives no address it is published at" in report


def test_jekyll_excerpt_separator_of_the_site_or_the_post_ends_the_description(tmp_path):
    """As Jekyll's excerpt: the text before the post's own `excerpt_separator`, else the site's, however short."""
    write_tree(tmp_path / "src", {
        "_config.yml": "title: Agency\nurl: https://www.example.gov\nexcerpt_separator: <!--more-->\n",
        "about.md": "---\ntitle: About\ndescription: About us.\n---\nAbout us.\n",
        "_posts/2020-01-01-site.md": ("---\ntitle: Site\n---\nIntro text here.\n<!--more-->\n\n"
                                      "More text {% link about.md %}. bad\n"),
        "_posts/2020-01-02-own.md": ("---\ntitle: Own\nexcerpt_separator: <!--end-->\n---\n"
                                     "Intro text here. <!--end--> More text {% link about.md %}. bad\n<!--more-->\n"),
        "_posts/2020-01-03-none.md": ("---\ntitle: None\nexcerpt_separator: ''\n---\n"
                                      "The first paragraph, when excerpts are off.\n<!--more-->\n\nNot this.\n"),
    })
    dest = tmp_path / "out"
    do_import("jekyll", tmp_path / "src", dest)
    posts = dest / "content/posts"
    assert front(posts / "2020-01-01-site.md")["description"] == "Intro text here."
    assert front(posts / "2020-01-02-own.md")["description"] == "Intro text here."
    assert front(posts / "2020-01-03-none.md")["description"] == "The first paragraph, when excerpts are off."
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "- content/posts/2020-01-01-site.md:2: made from the text before `<!--more-->`" in report
    assert "- content/posts/2020-01-02-own.md:2: made from the text before `<!--end-->`" in report
    assert "- content/posts/2020-01-03-none.md:2: made from the page's first paragraph" in report


@pytest.mark.parametrize("kind,files,says", [
    ("hugo", {"hugo.toml": 'baseURL = "https://www.example.gov/"\ntitle = "Example"\n',
              "content/a.md": ('---\ntitle: A\ndescription: A page.\n---\nSee [x]({{< relref "nowhere.md" >}}), '
                               "[y](/gone/) and [z]({{% ref gone %}}).\n")},
     "Links: 0 rewritten, 3 left as written: 1 under /gone/, 1 in {{% ref %}} naming no page, "
     "1 in {{< relref >}} naming no page."),
    ("jekyll", {"_config.yml": "title: Agency\nurl: https://www.example.gov\n",
                "a.md": "---\ntitle: A\ndescription: A page.\n---\nSee [x]({% link nowhere.md %}).\n"},
     "Links: 0 rewritten, 1 left as written: 1 in {% link %} naming no page."),
])
def test_links_left_in_tags_are_named_in_the_summary(tmp_path, kind, files, says):
    write_tree(tmp_path / "src", files)
    dest = tmp_path / "out"
    result = do_import(kind, tmp_path / "src", dest)
    assert says in result.out
    assert says in (dest / "IMPORT-REPORT.md").read_text()


def test_report_and_nav_give_the_address_a_slug_gives(tmp_path):
    """A page that keeps its old address with `slug:` is said to keep it, and the built site has it there."""
    write_tree(tmp_path / "src", {
        "hugo.toml": ('baseURL = "https://www.example.gov/"\ntitle = "Example"\n'
                      '[[menu.main]]\nname = "The second"\nurl = "/posts/second/"\n'),
        "content/posts/dup.md": "---\ntitle: Dup\ndescription: A page.\nurl: /posts/second/\n---\nText.\n",
        "content/posts/report/index.md": "---\ntitle: Report\ndescription: A report.\nslug: annual\n---\nText.\n",
    })
    dest = tmp_path / "out"
    do_import("hugo", tmp_path / "src", dest)
    assert front(dest / "content/posts/dup.md")["slug"] == "second"
    assert front(dest / "content/posts/report.md")["slug"] == "annual"
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "content/posts/dup.md →" not in report                     # neither its file nor its address changed
    assert "- content/posts/report/index.md → content/posts/report.md\n" in report   # only its file did
    assert "(address" not in report
    config = yaml.safe_load((dest / "site_config.yaml").read_text())
    assert config["nav"] == [{"title": "The second", "url": "/posts/second/"}]
    result = run("build", dest)
    result.assert_no_traceback()
    assert result.code == 0, result.err
    assert (dest / "_site/posts/second/index.html").is_file()
    assert (dest / "_site/posts/annual/index.html").is_file()
    assert not (dest / "_site/posts/dup").exists()


def test_a_last_changed_date_is_compared_with_the_date_as_check_compares_them(tmp_path):
    """With their times and offsets: one read fine and later is kept, one earlier is listed as earlier, not unread."""
    write_tree(tmp_path / "src", {
        "hugo.toml": 'baseURL = "https://www.example.gov/"\ntitle = "Example"\n',
        # 21:00 UTC is after 01:00 at +05:00 the next day (20:00 UTC).
        "content/zone.md": ("---\ntitle: Zone\ndescription: A page.\ndate: 2020-01-02T01:00:00+05:00\n"
                            "lastmod: 2020-01-01T21:00:00Z\n---\nText.\n"),
        # A plain date is midnight UTC: before ten o'clock that day.
        "content/same.md": ("---\ntitle: Same\ndescription: A page.\ndate: 2020-01-01T10:00:00Z\n"
                            "lastmod: 2020-01-01\n---\nText.\n"),
    })
    dest = tmp_path / "out"
    do_import("hugo", tmp_path / "src", dest)
    assert "updated: 2020-01-01T21:00:00+00:00" in (dest / "content/zone.md").read_text()
    same = front(dest / "content/same.md")
    assert "updated" not in same and same["extra"]["lastmod"] == "2020-01-01"
    report = (dest / "IMPORT-REPORT.md").read_text()
    assert "Dates that could not be read" not in report and "zone.md" not in report
    assert ("## Last-changed dates earlier than the page's date (kept under `extra`) (1)\n\n"
            "- content/same.md:1: `lastmod` (2020-01-01) is before the date (2020-01-01T10:00:00+00:00)") in report
    result = run("check", dest)
    result.assert_no_traceback()
    assert result.errors() == []


def test_pages_jekyll_excludes_are_listed_with_the_reason(tmp_path):
    write_tree(tmp_path / "src", {
        "_config.yml": ("title: Agency\nurl: https://www.example.gov\n"
                        "exclude:\n  - old-plans.md\n  - drafts\n  - \"*.bak.md\"\n"),
        "index.md": "---\ntitle: Home\ndescription: The agency.\n---\nWelcome.\n",
        "old-plans.md": "---\ntitle: Old plans\n---\nGone.\n",
        "drafts/one.md": "---\ntitle: One\n---\nDraft.\n",
        "drafts/two.md": "---\ntitle: Two\n---\nDraft.\n",
        "drafts/chart.png": "not a page",
        "guides/apply.bak.md": "---\ntitle: Apply\n---\nOld.\n",
        "CONTRIBUTING.md": "# How to help\n",
        "node_modules/pkg/README.md": "# A package\n",
    })
    dest = tmp_path / "out"
    result = do_import("jekyll", tmp_path / "src", dest)
    assert sorted(p.relative_to(dest / "content").as_posix() for p in (dest / "content").rglob("*.md")) == ["_index.md"]
    report = (dest / "IMPORT-REPORT.md").read_text()
    why = "is under `exclude:` in _config.yml, so Jekyll does not publish"
    assert f"- old-plans.md:1: `old-plans.md` {why} it: not imported" in report
    assert f"- guides/apply.bak.md:1: `*.bak.md` {why} it: not imported" in report
    assert f"- drafts/:1: `drafts` {why} the 2 pages in this folder (drafts/one.md, drafts/two.md): none imported" in report
    assert "- CONTRIBUTING.md:1: a file about the repository (`CONTRIBUTING*`) rather than a page of the site" in report
    assert "node_modules" not in report      # the tools' own folders hold no pages of the site
    assert "4 files not imported" in result.out


def test_the_summary_counts_one_of_a_kind_in_the_singular():
    from policysite.importer.report import COUNTED, KINDS, counted
    assert counted("setting", 1) == "1 setting not carried over"
    assert counted("nav", 1) == "1 menu entry not kept in `nav:`"
    assert counted("file", 3) == "3 files not imported"
    # Every kind the summary line counts is worded both ways.
    assert set(KINDS) - {"language", "note", "presentational", "heading"} <= set(COUNTED)


def test_a_jekyll_site_configured_in_toml_is_read(tmp_path):
    write_tree(tmp_path / "src", {
        "_config.toml": 'title = "Agency of Testing"\nurl = "https://www.example.gov"\nexclude = ["drafts"]\n',
        "about.md": "---\ntitle: About\ndescription: About us.\n---\nAbout us.\n",
        "drafts/plan.md": "---\ntitle: Plan\n---\nNot yet.\n",
    })
    dest = tmp_path / "out"
    result = do_import("jekyll", tmp_path / "src", dest)
    assert result.code == 0, result.err
    config = (dest / "site_config.yaml").read_text()
    assert "Agency of Testing" in config and "https://www.example.gov" in config
    assert "under `exclude:` in _config.toml" in (dest / "IMPORT-REPORT.md").read_text()
    assert not (dest / "content/drafts").exists()
