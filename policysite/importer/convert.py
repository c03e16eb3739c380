"""Markup both importers turn into ours: images, video links, callouts, code, and the scan of what is left."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .links import Left, outside_code

INFORMATION = {"note", "info", "information", "tip", "hint", "notice", "callout", "important", "admonition",
               "alert-info", "success", "example", "aside"}
WARNING = {"warning", "warn", "caution", "danger", "alert", "error", "alert-warning", "alert-danger", "attention"}
VIDEO_HOSTS = {"youtube": "https://www.youtube.com/watch?v={}", "vimeo": "https://vimeo.com/{}"}
REMAINING = re.compile(r"\{\{[<%]-?\s*(/?)\s*([\w./-]*).*?-?[%>]\}\}|\{%-?\s*(\w+).*?-?%\}|\{\{-?\s*(.*?)\s*-?\}\}", re.S)
TOC_LIST = re.compile(r"^[ \t]*(?:[*+-]|1\.)[ \t]+(?:TOC|Table of contents|toc)[ \t]*\n[ \t]*\{:[ \t]*(?:\.|#)?toc[ \t]*\}[ \t]*$\n?", re.M)
TOC_ALONE = re.compile(r"^[ \t]*\{:[ \t]*(?:\.|#)?toc[ \t]*\}[ \t]*$\n?", re.M)


def callout_kind(name: str, params: dict) -> str | None:
    """'^' for an information callout, '%' for a warning, None when the name is neither."""
    name = name.lower().rsplit("/", 1)[-1]
    for value in (params.get("type"), params.get("kind"), params.get("variant"), params.get("class"),
                  params.get("level"), params.get("0")):
        if isinstance(value, str) and value.lower() in WARNING:
            return "%"
        if isinstance(value, str) and value.lower() in INFORMATION and name in INFORMATION | WARNING:
            return "^"
    if name in WARNING:
        return "%"
    if name in INFORMATION:
        return "^"
    return None


def callout(marker: str, text: str) -> str | None:
    """`^text^` or `%text%` for a one-paragraph text, None when the text holds more than a paragraph."""
    text = text.strip()
    if not text or re.search(r"\n\s*\n", text) or re.search(r"^\s*(?:[*+-]|\d+\.|#|```|~~~|\|)", text, re.M) \
            or marker in text:
        return None
    return f"{marker}{' '.join(text.split())}{marker}"


def image(src: str, alt: str, title: str = "", caption: str = "", link: str = "") -> str:
    """A Markdown image (linked when the figure was a link), its caption in italics below."""
    title_part = f' "{title}"' if title and title != alt and '"' not in title else ""
    out = f"![{_bracket(alt)}]({_target(src)}{title_part})"
    if link:
        out = f"[{out}]({_target(link)})"
    if caption and caption != alt:
        out += f"\n\n*{caption.strip()}*"
    return out


def video_link(host: str, ident: str, title: str) -> str:
    """A link to a video where the page embedded it."""
    if ident.startswith(("http://", "https://")):
        url = ident
        host = host or urlsplit(ident).netloc
    else:
        url = VIDEO_HOSTS.get(host, "{}").format(ident)
    label = title or f"Watch the video on {host.capitalize() if host in VIDEO_HOSTS else host or 'its site'}"
    return f"[{_bracket(label)}]({url})"


def fenced(language: str, code: str) -> str:
    code = code.strip("\n")
    fence = "```"
    while fence in code:
        fence += "`"
    return f"{fence}{language.strip()}\n{code}\n{fence}"


def remove_toc_markers(text: str, counts) -> str:
    """kramdown's `* TOC` + `{:toc}`: our pages get a contents list of their own."""
    text, n = TOC_LIST.subn("", text)
    text, m = TOC_ALONE.subn("", text)
    if n + m:
        counts["{:toc}"] += n + m
    return text


KRAMDOWN_ATTRIBUTES = re.compile(r"\{:(?!:)[^}\n]*\}")


def attribute_lists(body: str) -> list[Left]:
    """kramdown's `{: .class}` and `{:target="_blank"}` outside code: kept, as Python-Markdown's attr_list reads them."""
    found = []
    for start, end in outside_code(body):
        for match in KRAMDOWN_ATTRIBUTES.finditer(body, start, end):
            found.append(Left("attribute", match.start(), f"`{match.group(0)}` kept as it is"))
    return found


def remaining_tags(body: str, notes: dict[str, str]) -> list[tuple[Left, str]]:
    """Every template tag still in the body (closing tags aside), with the name to count it under."""
    found = []
    for match in REMAINING.finditer(body):
        closing, hugo_name, liquid_name, output = match.groups()
        text = match.group(0)
        if closing or (liquid_name or "").startswith("end"):
            continue
        if hugo_name is not None:
            name = "{{< " + (hugo_name or "?") + " >}}" if text.startswith("{{<") else "{{% " + (hugo_name or "?") + " %}}"
        elif liquid_name is not None:
            name = liquid_name
        else:
            variable = (output or "").split("|")[0].strip()
            name = "{{ " + variable + " }}" if variable.startswith("site.") else "{{ ... }}"
        snippet = " ".join(text.split())
        if len(snippet) > 120:
            snippet = snippet[:117] + "..."
        message = notes.get(text) or f"`{snippet}`: a template tag policysite does not run"
        found.append((Left("tag", match.start(), message), name))
    return found


def _bracket(text: str) -> str:
    return " ".join(text.replace("[", "\\[").replace("]", "\\]").split())


def _target(src: str) -> str:
    return f"<{src}>" if " " in src or ")" in src else src


__all__ = ["callout_kind", "callout", "image", "video_link", "fenced", "remove_toc_markers",
           "remaining_tags", "outside_code"]
