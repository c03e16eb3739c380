"""axe-core (WCAG 2.2 AA rule set) on one page of every layout of the example site."""

from __future__ import annotations

import pytest

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def run_axe(page, axe_js) -> list[dict]:
    page.add_script_tag(path=str(axe_js))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return result.violations;
        }""",
        WCAG_TAGS,
    )


def describe(path: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{path}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {' '.join(node['target'])}")
            lines.append("       " + node.get("failureSummary", "").replace("\n", "\n       "))
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_wcag22aa_on_every_layout(site, sample_pages, page, axe_js, width):
    page.set_viewport_size({"width": width, "height": 800})
    failures = []
    for path in sample_pages:
        page.goto(site.url(path))
        violations = run_axe(page, axe_js)
        if violations:
            failures.append(describe(path, violations))
    assert not failures, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(failures)


def test_search_page_has_labelled_search_form(site, page):
    page.goto(site.url("/search/"))
    form = page.locator("form[role=search]")
    assert form.count() == 1
    field = form.locator("input[type=search]")
    field_id = field.get_attribute("id")
    assert page.locator(f"label[for='{field_id}']").count() == 1
    assert page.locator("#search-results[aria-live]").count() == 1
    # without a query the results region stays empty, and browsing still works
    assert page.locator("#search-results").inner_text().strip() == ""
    assert page.locator(".search-browse a").count() > 0


def test_search_script_survives_missing_index(site, page):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site.url("/search/?q=health"))
    page.wait_for_load_state("networkidle")
    assert not errors, errors
    assert page.locator("#search-input").input_value() == "health"
    assert page.locator(".search-browse a").count() > 0
