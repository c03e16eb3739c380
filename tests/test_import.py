"""`policysite import hugo|jekyll SRC DEST`, through the command line, on small fixture sites."""

from __future__ import annotations

import hashlib
import os
import shutil
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
    assert f"- content/guidance/apply.md:{tweet_line}: `{{{{< tweet" in report
    assert f"- content/guidance/apply.md:{nowhere_line}: `/nowhere/`" in report
    assert "## Links left as written" in report and "## Template tags left in place" in report


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
    assert "content/posts/2020-01-02-first-post.md:2: Jekyll shows a post's first paragraph" in report
    # A page has none: the gap is left for a person.
    assert "description" not in front(dest / "content/about-us.md")
    assert "content/about-us.md:1: no description" in report


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
    # about.md has no description and, as a page rather than a post, no excerpt to take one from.
    assert [(p, n) for p, n, _ in result.errors()] == [("content/about-us.md", 2)]


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
