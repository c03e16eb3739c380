"""The full-text search index (policysite/search.py): words, the stemmer and
the term files."""

from __future__ import annotations

import json
import re

import pytest

from policysite import search

# Texts whose words are easy to get wrong: accents, letters NFKD does not
# decompose, compatibility characters, other scripts, marks, digits, joiners.
TRICKY = [
    "Café naïve mañana Ågård", "Straße STRASSE ẞ", "Œuvre Æsir Ørsted Łódź Þór Đorđe", "İstanbul ı",
    "ﬁnance ﬀ ﬆ", "Ｆｕｌｌｗｉｄｔｈ １２３", "x² ½ ① ™ ℡ Ⅻ ¼ ٣", "ΟΔΟΣ οδός Σίσυφος", "Москва",
    "日本語テキスト", "한국어", "العربية", "हिन्दी", "e\u0301cole", "a_b don't co-operate NHS’s",
    "£275 10% 2006–08", "ǅ ǆ Ǆ ŉ", "👍🏽 a\u200db soft\u00adhyphen", "  ", "", "HEALTH Inequalities",
]


# ---- words --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Health inequalities", ["health", "inequalities"]),
    ("The NHS’s 2006–08 update: 10% (£275m)", ["the", "nhs", "s", "2006", "08", "update", "10", "275m"]),
    ("Café, naïve, ÉCOLE", ["cafe", "naive", "ecole"]),
    ("Straße Œuvre Łódź", ["strasse", "oeuvre", "lodz"]),
    ("ﬁnance Ｆｕｌｌ x²", ["finance", "full", "x2"]),
    ("snake_case co-operate", ["snake", "case", "co", "operate"]),
    ("Москва 日本語", ["москва", "日本語"]),
    ("", []),
])
def test_words_are_folded_runs_of_letters_and_digits(text, expected):
    assert search.words(text) == expected


@pytest.mark.parametrize("text", TRICKY)
def test_quick_words_are_the_plain_definition(text):
    # _tokens skips NFKD for text whose letters are all ASCII after folding: the same words.
    assert search.words(text) == re.findall(r"[^\W_]+", search.fold(text))


# ---- the stemmer ----------------------------------------------------------------------

@pytest.mark.parametrize("group", [
    ["inequality", "inequalities"],
    ["service", "services", "serviced", "servicing"],
    ["plan", "plans", "planned", "planning"],
    ["policy", "policies"],
    ["study", "studies", "studied", "studying"],
    ["include", "includes", "included", "including"],
    ["class", "classes"],
    ["programme", "programmes", "program"],
    ["fund", "funds", "funded", "funding"],
    ["care", "cares", "cared", "caring"],
    ["community", "communities"],
])
def test_forms_of_a_word_share_a_stem(group):
    assert len({search.stem(w) for w in group}) == 1, {w: search.stem(w) for w in group}


@pytest.mark.parametrize("word, expected", [
    ("inequalities", "inequaliti"), ("policy", "polici"), ("police", "polic"), ("planning", "plan"),
    ("services", "servic"), ("health", "health"), ("status", "status"), ("analysis", "analysis"),
    ("need", "need"), ("agreed", "agreed"), ("bring", "bring"), ("string", "string"), ("ties", "ties"),
    ("news", "new"), ("staff", "staf"), ("days", "day"),
    # short words, digits and other scripts stay as they are
    ("the", "the"), ("uses", "use"), ("2010s", "2010s"), ("naïve", "naïve"), ("москва", "москва"),
])
def test_stems(word, expected):
    assert search.stem(word) == expected


def test_police_is_not_policy():
    assert search.stem("police") != search.stem("policy")


def test_big_term_files_are_split_by_one_more_letter(monkeypatch):
    monkeypatch.setattr(search, "CHUNK_BYTES", 200)
    index = search.IndexBuilder()
    body = " ".join(f"health{c} heal{c}ing he" for c in "abcdefghij")
    for n in range(30):
        index.add(f"/p{n:02}/", f"Page {n}", "", "", [], body + " hello")
    files = index.files()
    manifest = json.loads(files["search/index.json"])
    keys = manifest["terms"]
    assert "he" in keys and any(len(k) > 3 for k in keys)
    seen = set()
    for key in keys:
        chunk = json.loads(files[f"search/terms/{search.chunk_file(key)}"])
        for term in chunk:
            # A term is in the file of the longest key it starts with.
            assert key == max((k for k in keys if term.startswith(k)), key=len), (term, key)
            seen.add(term)
    assert {"he", "hello", "healtha", "heala"} <= seen
    assert len(seen) == len(index.postings)


def test_chunk_file_names():
    assert search.chunk_file("he") == "he.json"
    assert search.chunk_file("2a") == "2a.json"
    assert search.chunk_file("мо") == "_43c_43e.json"
    assert search.chunk_file("日") == "_65e5.json"
