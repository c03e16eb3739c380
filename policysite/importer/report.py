"""What an import did and what it left for a person: counts and items with file:line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Kinds of item, in the order IMPORT-REPORT.md lists them, with their headings.
KINDS = {
    "link": "Links left as written (no page or file at that address)",
    "tag": "Template tags left in place (policysite does not run them)",
    "address": "Addresses that could not be kept",
    "alias": "Old addresses (aliases) not kept",
    "attribute": "Kramdown attribute lists kept (policysite reads `{: ...}` too: check what each sets)",
    "title": "Titles made from file names",
    "description": "Pages without a description",
    "description-made": "Descriptions taken from the first paragraph",
    "image": "Images without alt text",
    "front-matter": "Front matter that could not be read",
    "date": "Dates that could not be read",
    "nav": "Menu entries not kept in `nav:`",
    "file": "Files not imported",
    "language": "Languages",
    "setting": "Settings not carried over",
    "note": "Other notes",
}


@dataclass
class Item:
    kind: str
    where: str      # path in DEST (or SRC for files not imported)
    line: int
    message: str


@dataclass
class Report:
    source_pages: int = 0
    output_pages: int = 0
    redirects: int = 0           # source pages that only redirected, now aliases
    files_copied: int = 0
    links_rewritten: int = 0
    links_left: int = 0
    converted: Counter = field(default_factory=Counter)   # tag or shortcode name -> count
    left: Counter = field(default_factory=Counter)        # tag or shortcode name -> count
    extra_fields: Counter = field(default_factory=Counter)  # field name -> pages keeping it under extra
    items: list[Item] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)   # (source path, what it became)

    def add(self, kind: str, where: str, line: int, message: str) -> None:
        self.items.append(Item(kind, where, line, message))

    def summary(self) -> str:
        """The lines `import` prints."""
        lines = [
            f"Imported {self.source_pages} source pages as {self.output_pages} pages"
            + (f" and {self.redirects} aliases (pages that only redirected)" if self.redirects else "")
            + f", {self.files_copied} other files copied.",
            f"Links: {self.links_rewritten} rewritten, {self.links_left} left as written.",
            "Converted: " + _counts(self.converted),
            "Left in place: " + _counts(self.left),
            "Fields kept under extra: " + _counts(self.extra_fields),
        ]
        waiting = Counter(item.kind for item in self.items if item.kind not in ("language", "note"))
        if waiting:
            lines.append("Left for a person (see IMPORT-REPORT.md): "
                         + ", ".join(f"{n} {KINDS[k].split(' (')[0].lower()}" for k, n in waiting.items()))
        return "\n".join(lines)

    def markdown(self) -> str:
        """IMPORT-REPORT.md: the summary, then every item grouped by kind."""
        out = ["# Import report", "", "```", self.summary(), "```", ""]
        for kind, heading in KINDS.items():
            items = sorted((i for i in self.items if i.kind == kind), key=lambda i: (i.where, i.line, i.message))
            if not items:
                continue
            out += [f"## {heading} ({len(items)})", ""]
            out += [f"- {i.where}:{i.line}: {i.message}" for i in items]
            out.append("")
        if self.moves:
            out += [f"## Where each source page went ({len(self.moves)})", ""]
            out += [f"- {source} → {became}" for source, became in sorted(self.moves)]
            out.append("")
        return "\n".join(out)


def _counts(counter: Counter) -> str:
    if not counter:
        return "none"
    return ", ".join(f"{name} {n}" for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
