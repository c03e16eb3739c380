"""The full-text search index: the site's words, split into small files.

Readers on slow connections should download only what a search needs, so
the index is many small JSON files under search/ (next to the search page):

- search/index.json: the manifest (format version, page count, which term
  files exist, an id that changes with the index);
- search/terms/KEY.json: the terms that start with KEY (their first two
  letters, or more where that file would be big: see _chunks), each with the
  pages it is in and a score for each;
- search/pages/N.json: address, title, type, description, date, date
  updated and status of pages N*PAGE_GROUP to N*PAGE_GROUP+PAGE_GROUP-1, for
  showing results (see ResultEntry). A status is a number: 0 for none, else
  its place (from 1) in the manifest's "statuses" list, so a long
  government name is written once, not on every page from that government.
  Each entry there holds facts, not words (status.PageStatus.search_data):
  `{"withdrawn": true}`, `{"government": NAME}` or both; search.js words
  them in the search page's language.

A search fetches the manifest, one term file per word typed, and the page
files of the results it shows. assets/search.js reads these files and holds
the same word rules as this module (`words`, `stem`); a test runs both over
one word list, so they cannot drift apart.

Built in one pass over the pages: each page's words are counted and
forgotten, and only the postings stay, packed in one `array` per term.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import groupby, repeat
from operator import and_, sub
from typing import TYPE_CHECKING

from .cache import code_fingerprint
from .model import Deferred, Page

if TYPE_CHECKING:
    from .config import SiteConfig

FORMAT = 2
# Pages per page file. A first search shows 20 results, spread over the site's
# pages in address order: small files waste fewer bytes on pages not shown.
PAGE_GROUP = 10
# Letters of a term that name its term file, and the size above which a term
# file is split by one more letter (see _chunks).
KEY_LENGTH = 2
CHUNK_BYTES = 16 * 1024
FOLDER = "search"
# Pages with nothing to find: the search page itself and "Page not found".
SKIPPED_KINDS = ("404", "search")

# Score of a term on a page (an integer, at most 55): how many times it is in
# the body, counting at most BODY_CAP, plus a bonus for each of title,
# description, and labels (the type and the topics' names) it is in. A word in
# the title outweighs any number of mentions in the body.
BODY_CAP = 10
TITLE_BONUS = 30
DESCRIPTION_BONUS = 10
LABEL_BONUS = 5
# A posting is one number: the page number's gap from the term's previous page,
# times 2**SCORE_BITS, plus the score.
SCORE_BITS = 6
assert BODY_CAP + TITLE_BONUS + DESCRIPTION_BONUS + LABEL_BONUS < 1 << SCORE_BITS

# -- words ----------------------------------------------------------------------

# Besides accents (dropped by NFKD), these letters are folded to plain Latin
# letters, so that "Œuvre" finds "oeuvre" and "Straße" finds "strasse".
LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"}
_WORD = re.compile(r"[^\W_]+")          # Unicode letters and digits, as [\p{L}\p{N}]+ in search.js
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# For bytes.translate: a-z and 0-9 stay, A-Z become a-z, anything else a space.
_ASCII_TABLE = bytes(c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256))
_FOLDED: dict[str, str] = {}            # a non-ASCII character, after NFKD and lower case -> what it becomes
_AS_ASCII: dict[str, str | None] = {}   # a non-ASCII character -> the ASCII text it folds to (see _tokens)


def fold(text: str) -> str:
    """Lower case without accents: NFKD, then lower case, then combining marks
    dropped and LETTERS replaced (the same steps as fold() in search.js)."""
    text = unicodedata.normalize("NFKD", text).lower()
    if text.isascii():
        return text
    for char in [c for c in set(text) if c > "\x7f"]:
        folded = _FOLDED.get(char)
        if folded is None:
            folded = _FOLDED[char] = "" if unicodedata.category(char).startswith("M") else LETTERS.get(char, char)
        if folded != char:
            text = text.replace(char, folded)
    return text


def _as_ascii(char: str) -> str | None:
    """A non-ASCII character's folding, in ASCII: what is not a letter or digit
    becomes a space (it only separates words, as a space does); None when the
    folding holds a letter or digit beyond ASCII."""
    out = []
    for c in fold(char):
        if c.isascii():
            out.append(c)
        elif _WORD.match(c):
            return None
        else:
            out.append(" ")
    return "".join(out)


def _tokens(text: str) -> list:
    """words(text), quickly: as bytes when every letter folds to ASCII (most
    English pages: typographic quotes and "£" only separate words), else str."""
    if not text.isascii():
        replace = {}
        for char in set(_NON_ASCII.findall(text)):
            if char not in _AS_ASCII:
                _AS_ASCII[char] = _as_ascii(char)
            ascii_form = _AS_ASCII[char]
            if ascii_form is None:
                return _WORD.findall(fold(text))
            replace[char] = ascii_form
        for char, ascii_form in replace.items():
            text = text.replace(char, ascii_form)
    return text.encode("ascii").translate(_ASCII_TABLE).split()


def words(text: str) -> list[str]:
    """The words of a text, folded: runs of Unicode letters and digits."""
    return [w.decode("ascii") if isinstance(w, bytes) else w for w in _tokens(text)]


# -- the stemmer --------------------------------------------------------------------

VOWELS = frozenset("aeiouy")
MIN_STEM = 3


def stem(word: str) -> str:
    """A light English stemmer, so that "inequalities" finds "inequality".

    Only words of plain letters a-z longer than 3 letters change, and a rule
    applies only if at least 3 letters remain. In order:

    1. One ending, the first of these the word ends with (a later one is not
       tried when its condition fails):
       -ies and -ied become -i (policies, studied); -ing and -ed go if a vowel
       (a, e, i, o, u, y) is left before them, and -ed stays after e (need,
       agreed); -s goes, except after s, u or i (class, status, analysis).
    2. A final y after a consonant becomes i (policy: polici); else a final
       e goes (service: servic, include: includ).
    3. A final double consonant becomes single (planning: plann: plan).

    So policy, policies: polici; services, serviced, servicing: servic;
    planning, planned, plans: plan. A stem is the start of its word, except
    that a final -y becomes -i. search.js has the same function.
    """
    if len(word) <= MIN_STEM or not word.isascii() or not word.isalpha() or not word.islower():
        return word
    # 1: inflections
    if word.endswith(("ies", "ied")):
        if len(word) - 2 >= MIN_STEM:
            word = word[:-2]
    elif word.endswith("ing"):
        if len(word) - 3 >= MIN_STEM and VOWELS.intersection(word[:-3]):
            word = word[:-3]
    elif word.endswith("ed"):
        if len(word) - 2 >= MIN_STEM and word[-3] != "e" and VOWELS.intersection(word[:-2]):
            word = word[:-2]
    elif word.endswith("s") and len(word) - 1 >= MIN_STEM and word[-2] not in "sui":
        word = word[:-1]
    # 2: final y or e
    if len(word) > MIN_STEM:
        if word[-1] == "y" and word[-2] not in VOWELS:
            word = word[:-1] + "i"
        elif word[-1] == "e":
            word = word[:-1]
    # 3: double consonant
    if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in VOWELS:
        word = word[:-1]
    return word


# -- page text --------------------------------------------------------------------

# Text the build adds to a body, not written by its editor: "Warning: " for
# screen readers before a warning callout, "(PDF, 2 KB)" after a link to a file.
_ADDED = re.compile(r'<span class="(?:visually-hidden|attachment-meta)">[^<]*</span>')
_TAG = re.compile(r"<[^>]*>")


def body_text(page_html: str) -> str:
    """The text of a rendered Markdown body: tags become spaces, entities characters."""
    return html.unescape(_TAG.sub(" ", _ADDED.sub(" ", page_html)))


def type_label(page: Page) -> str:
    """What a result says the page is: "Policy paper", "Topic"…"""
    return page.type_label or ("Topic" if page.kind == "topic" else "")


def searchable(pages: list[Page]) -> list[Page]:
    """The pages search can find, numbered in the order of their addresses."""
    return sorted((p for p in pages if p.kind not in SKIPPED_KINDS), key=lambda p: p.url)


# -- the index ----------------------------------------------------------------------

def chunk_file(key: str) -> str:
    """The file name of a term file: the key when it is plain a-z and 0-9, else
    `_` and each character's code point in hex, joined by `_`."""
    if re.fullmatch(r"[a-z0-9]+", key):
        return key + ".json"
    return "".join(f"_{ord(c):x}" for c in key) + ".json"


def _dump(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ResultEntry:
    """What a result shows of a page. Written to a page file as the JSON list
    [url, title, type, description, date, updated, status, lang], dates as
    YYYY-MM-DD or "", status as a number (see the module's docstring; here
    the status's search_key), lang
    the language of a translated page (`cy`; "" in the site's own), with
    empty values at the end left off: most pages end at their date."""

    url: str
    title: str
    type: str = ""
    description: str = ""
    date: str = ""
    updated: str = ""
    status: str = ""
    lang: str = ""

    def packed(self, status_number: int) -> list:
        row = [self.url, self.title, self.type, self.description, self.date, self.updated, status_number, self.lang]
        while len(row) > 2 and not row[-1]:
            row.pop()
        return row


class IndexBuilder:
    """Adds pages one by one (in page-number order), then writes the files."""

    def __init__(self):
        # term -> page number << SCORE_BITS | score, for each page it is in, by page number
        self.postings: defaultdict[str, array] = defaultdict(partial(array, "I"))
        self.meta: list[ResultEntry] = []      # by page number
        self._stems: dict[str, str] = {}       # word -> stem, for this build

    def _counts(self, text: str) -> Counter:
        """How many times each term is in a text."""
        tokens = _tokens(text)
        cache = self._stems
        try:
            return Counter(map(cache.__getitem__, tokens))
        except KeyError:   # new words: most pages have none once a few pages are read
            for word in set(tokens).difference(cache):
                cache[word] = stem(word.decode("ascii") if isinstance(word, bytes) else word)
            return Counter(map(cache.__getitem__, tokens))

    def scores(self, title: str, description: str, label: str, topics: list[str], text: str) -> dict[str, int]:
        """Each term of a page and its score there (see BODY_CAP and the bonuses)."""
        body = self._counts(text)
        bonus: dict[str, int] = {}
        for part, points in ((title, TITLE_BONUS), (description, DESCRIPTION_BONUS), (" ".join([label, *topics]), LABEL_BONUS)):
            for term in self._counts(part):
                bonus[term] = bonus.get(term, 0) + points
        scores = {term: min(body.pop(term, 0), BODY_CAP) + points for term, points in bonus.items()}
        for term, count in body.items():
            scores[term] = count if count < BODY_CAP else BODY_CAP
        return scores

    def add(self, url: str, title: str, description: str, label: str, topics: list[str], text: str,
            date: str = "", updated: str = "", status: str = "", lang: str = "") -> None:
        self.add_scored(ResultEntry(url, title, label, description, date, updated, status, lang),
                        self.scores(title, description, label, topics, text).items())

    def add_scored(self, entry: ResultEntry, scores) -> None:
        """Add the next page from its (term, score) pairs, worked out already."""
        number = len(self.meta)
        self.meta.append(entry)
        postings = self.postings
        base = number << SCORE_BITS
        for term, score in scores:
            postings[term].append(base | score)

    def files(self) -> dict[str, bytes]:
        """Path under the output folder -> bytes, for every file of the index.

        Made once: each term's postings go as its entry is written, so that a big
        site's postings and its term files are not both held whole."""
        out: dict[str, bytes] = {}
        postings = self.postings
        entries = ((term, _term_entry(term, postings.pop(term))) for term in sorted(postings))
        keys = []
        for key, chunk in _chunks(entries):
            keys.append(key)
            out[_term_file(key)] = _term_file_bytes(chunk)
        statuses = sorted({entry.status for entry in self.meta if entry.status})
        numbers = {status: n for n, status in enumerate(statuses, 1)}
        rows = [entry.packed(numbers.get(entry.status, 0)) for entry in self.meta]
        for start in range(0, len(rows), PAGE_GROUP):
            out[_page_file(start // PAGE_GROUP)] = _dump(rows[start:start + PAGE_GROUP])
        out[MANIFEST] = _manifest(out, len(self.meta), statuses, keys)
        return out


MANIFEST = f"{FOLDER}/index.json"
# One term and its postings in a term file, as _term_entry writes it (terms are letters and digits).
_ENTRY = re.compile(rb'"([^"\\]*)":\[([0-9,]+)\]')


def _term_file(key: str) -> str:
    return f"{FOLDER}/terms/{chunk_file(key)}"


def _page_file(number: int) -> str:
    return f"{FOLDER}/pages/{number}.json"


def _term_entry(term: str, packed) -> bytes:
    """A term and its postings as written in a term file; a page number as its gap from the one before it."""
    gaps = map(sub, packed, [0, *map(and_, packed[:-1], repeat(-1 << SCORE_BITS))])
    return f'{json.dumps(term, ensure_ascii=False)}:[{",".join(map(str, gaps))}]'.encode()


def _term_file_bytes(chunk: list[tuple[str, bytes]]) -> bytes:
    return b"{" + b",".join(entry for _, entry in chunk) + b"}"


def _manifest(files: dict[str, bytes], pages: int, statuses: list[str], keys) -> bytes:
    """The manifest of these files (every other file of the index)."""
    # The id changes whenever any file does: search.js asks for files with ?v=ID,
    # so a browser never mixes files cached from an earlier build with these.
    h = hashlib.sha1()
    for path in sorted(files):
        h.update(path.encode("utf-8") + b"\0" + files[path] + b"\0")
    manifest = {"version": FORMAT, "id": h.hexdigest()[:16], "pages": pages,
                "pageGroup": PAGE_GROUP, "statuses": [json.loads(s) for s in statuses], "terms": sorted(keys)}
    return _dump(manifest)


def _chunks(entries: list[tuple[str, bytes]]):
    """(key, entries) for each term file: terms grouped by their first KEY_LENGTH
    characters, and a group bigger than CHUNK_BYTES split again by one more
    character (its terms no longer than its key stay in it). So a term's file
    is the longest key it starts with, and a word typed costs at most about
    CHUNK_BYTES, plus its own postings when they alone are bigger."""
    def split(group, length):
        key = group[0][0][:length]
        if len(group) == 1 or sum(len(entry) for _, entry in group) <= CHUNK_BYTES:
            yield key, group
            return
        short = [item for item in group if len(item[0]) <= length]
        if short:
            yield key, short
        for _, sub_group in groupby((item for item in group if len(item[0]) > length), key=lambda item: item[0][:length + 1]):
            yield from split(list(sub_group), length + 1)

    for _, group in groupby(entries, key=lambda item: item[0][:KEY_LENGTH]):
        yield from split(list(group), KEY_LENGTH)


@dataclass(frozen=True)
class Labels:
    """The names search needs from site_config: topics, governments, the current one."""

    topics: dict[str, str]
    governments: dict[str, str]
    current_government: str | None = None

    @classmethod
    def of(cls, config: SiteConfig) -> Labels:
        return cls({k: t.name for k, t in config.topics.items()}, {k: g.name for k, g in config.governments.items()},
                   config.current_government)


def day(value) -> str:
    """A date, or a datetime's date as written, as YYYY-MM-DD ("" for none)."""
    return f"{value.year:04}-{value.month:02}-{value.day:02}" if value else ""


def _entry(page: Page, root: str, labels: Labels) -> tuple[ResultEntry, list[str]]:
    """What a result shows of a page, and the names of its topics."""
    topics = [labels.topics[k] for k in page.fields.get("topics", ()) if k in labels.topics]
    url = page.url if root == "/" else root + page.url.lstrip("/")   # with a root of "/", the page's own string, not a copy
    entry = ResultEntry(url, page.title, type_label(page), page.description or "",
                        day(page.date), day(page.updated), page.status.search_key(), page.lang)
    return entry, topics


def _entries(pages: list[Page], root: str, labels: Labels):
    """(entry, topics, page) of each page to index, by page number."""
    for page in searchable(pages):
        yield (*_entry(page, root, labels), page)


def build_index(pages: list[Page], root: str, labels: Labels) -> dict[str, bytes]:
    """The index files of a site's pages (root: the base path, such as "/" or "/health/")."""
    return build_index_reusing(pages, root, labels, WordRecord())[0]


# -- reusing the last build's words -------------------------------------------------

# Scores are written one character each in PageWords.scores: chr(SCORE_ZERO + score),
# all printable ASCII (scores are below 2**SCORE_BITS).
SCORE_ZERO = 0x30
# Each byte to its score's character: a page's scores written in one pass in C (PageWords.of).
_SCORE_CHARS = bytes((value + SCORE_ZERO) & 0xFF for value in range(256))


class PageWords:
    """One page's terms and their scores, and a digest of everything they came from.

    Read from the build cache, its terms and scores stay there until asked for (a page whose
    digest is the same needs neither), and `stored` is its record as read, saved again as it is."""

    __slots__ = ("digest", "_terms", "_scores", "stored")

    def __init__(self, digest: str, terms: str | Deferred, scores: str | Deferred, stored: list | None = None):
        self.digest = digest
        self._terms = terms      # the page's terms, in the order they are added, joined by spaces (terms have none)
        self._scores = scores    # one character per term: see SCORE_ZERO
        self.stored = stored

    @property
    def terms(self) -> str:
        if isinstance(self._terms, Deferred):
            self._terms = str(self._terms.value())
        return self._terms

    @property
    def scores(self) -> str:
        if isinstance(self._scores, Deferred):
            self._scores = str(self._scores.value())
        return self._scores

    def __eq__(self, other) -> bool:
        if not isinstance(other, PageWords):
            return NotImplemented
        return (self.digest, self.terms, self.scores) == (other.digest, other.terms, other.scores)

    __hash__ = None

    def __repr__(self) -> str:
        return f"PageWords({self.digest!r}, {self.terms!r}, {self.scores!r})"

    @classmethod
    def from_stored(cls, stored) -> PageWords:
        """From what to_json gave for a page, or that as the build cache reads it back (its terms
        and scores Deferred); KeyError when it is not one."""
        if not (isinstance(stored, list) and len(stored) == 3):
            raise KeyError("not a page's words")
        digest, terms, scores = stored
        return cls(str(digest), terms if isinstance(terms, Deferred) else str(terms),
                   scores if isinstance(scores, Deferred) else str(scores), stored)

    def pairs(self):
        """(term, score) for each term."""
        if not self.terms:
            return ()
        return zip(self.terms.split(" "), [c - SCORE_ZERO for c in self.scores.encode("ascii")], strict=False)   # from the cache: never fail on one edited by hand

    @classmethod
    def of(cls, digest: str, scores: dict[str, int]) -> PageWords:
        return cls(digest, " ".join(scores), bytes(scores.values()).translate(_SCORE_CHARS).decode("ascii"))

    def as_json(self) -> list[str]:
        return [self.digest, self.terms, self.scores]


@dataclass
class WordRecord:
    """Every indexed page's words, keyed by its address: what the next build reuses
    for each page whose digest is the same. Saved in the build cache as JSON; a big build
    keeps its pages' terms and scores elsewhere as they are made (build_index_reusing's `keep`)."""

    pages: Mapping[str, PageWords] = field(default_factory=dict)

    def to_json(self) -> dict:
        """A page's words read from the cache go back as they were read: the cache keeps them unread."""
        if isinstance(self.pages, _StoredWords):
            return {"format": FORMAT, "code": code_fingerprint(), "pages": self.pages.saved()}
        return {"format": FORMAT, "code": code_fingerprint(),
                "pages": {url: w.stored if w.stored is not None else [w.digest, w.terms, w.scores]
                          for url, w in self.pages.items()}}

    def changed(self, changes: dict[str, PageWords]) -> WordRecord:
        """This record with these pages' words instead (pages it has), the others as they are."""
        if isinstance(self.pages, _StoredWords):
            return WordRecord(_StoredWords(self.pages.stored, {**self.pages.changes, **changes}))
        return WordRecord({**self.pages, **changes})

    @classmethod
    def from_json(cls, data) -> WordRecord:
        """The record saved by to_json; an empty one when it is missing or was made by other
        code (whose words or scores may differ). Each page's words are made when first asked
        for; a page's words that are damaged are missing."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("code") != code_fingerprint() \
                or not isinstance(data.get("pages"), Mapping):
            return cls()
        return cls(_StoredWords(data["pages"]))


class _StoredWords(Mapping):
    """Address -> PageWords, each made from its saved form when first asked for; `changes`
    are pages' words of this build instead."""

    def __init__(self, stored: Mapping, changes: dict[str, PageWords] | None = None):
        self.stored = stored
        self.changes = changes or {}
        self.made: dict[str, PageWords] = {}

    def __getitem__(self, url: str) -> PageWords:
        found = self.changes.get(url) or self.made.get(url)
        if found is None:
            found = self.made[url] = PageWords.from_stored(self.stored[url])
        return found

    def saved(self) -> Mapping:
        """What WordRecord.to_json gives: the saved form with the changes. A build cache's section
        is changed in place: it then writes only the records assigned to it."""
        stored = dict(self.stored) if type(self.stored) is dict else self.stored
        for url, words in self.changes.items():
            stored[url] = [words.digest, words.terms, words.scores]
        return stored

    def __iter__(self):
        return iter(self.stored)

    def __len__(self) -> int:
        return len(self.stored)


def _page_digest(entry: ResultEntry, topics: list[str], page: Page) -> str:
    """What a page's words come from: title, description, labels and body (by its hash)."""
    body = page.html_sha or (hashlib.sha1(page.html.encode("utf-8")).hexdigest() if page.html else "")
    return hashlib.sha1(json.dumps([entry.title, entry.description, entry.type, topics, body],
                                   ensure_ascii=False).encode("utf-8")).hexdigest()


def build_index_reusing(pages: list[Page], root: str, labels: Labels, previous: WordRecord,
                        digests: list[str] | None = None,
                        keep: Callable[[list[list[str]]], list[object]] | None = None) -> tuple[dict[str, bytes], WordRecord]:
    """The index files, as build_index makes them, and the record of this build's
    words. A page whose address and digest are in `previous` is not read again:
    its terms and scores come from there. The files are the same bytes either way.

    `digests`: each searchable page's digest, by page number, made by the caller from
    everything its words come from (see update_index); by default _page_digest.
    `keep`: given, makes each KEEP_AT_ONCE pages' words (PageWords.as_json) into the saved form
    the record holds instead (PageWords.from_stored: its terms and scores Deferred), as they are
    made: a big site's words are then never all held here."""
    index = IndexBuilder()
    record = WordRecord()
    reused = previous.pages
    made: list[str] = []   # addresses whose words are PageWords still, for `keep`
    for number, (e, topics, page) in enumerate(_entries(pages, root, labels)):
        digest = _page_digest(e, topics, page) if digests is None else digests[number]
        words = reused.get(e.url)
        if words is None or words.digest != digest:
            scores = index.scores(e.title, e.description, e.type, topics, body_text(page.html))
            words = PageWords.of(digest, scores)
            pairs = scores.items()   # what words.pairs() would give back, without packing and unpacking them
        else:
            pairs = words.pairs()
        record.pages[e.url] = words
        index.add_scored(e, pairs)
        if keep is not None:
            made.append(e.url)
            if len(made) == KEEP_AT_ONCE:
                _keep(record, made, keep)
    if made:
        _keep(record, made, keep)
    return index.files(), record


KEEP_AT_ONCE = 1000


def _keep(record: WordRecord, urls: list[str], keep: Callable[[list[list[str]]], list[list]]) -> None:
    """These pages' words made into what `keep` makes of them; `urls` emptied."""
    kept = keep([record.pages[url].as_json() for url in urls])
    record.pages.update(zip(urls, map(PageWords.from_stored, kept), strict=True))
    urls.clear()


def update_index(pages: list[Page], root: str, labels: Labels, digests: list[str] | dict[int, str], previous: WordRecord,
                 read: Callable[[str], bytes | None],
                 changed: list[int] | None = None) -> tuple[dict[str, bytes], WordRecord] | None:
    """The index files, as build_index makes them, by changing the last build's files only where
    the pages whose digest changed are; and the record of this build's words.

    `pages`: searchable(...) of the site; `digests`: each one's digest, which must change
    whenever its words or its result entry could (the last build's are in `previous`);
    `read`: a file of the last build's index, as that build wrote it, or None.
    None when the last index cannot be updated: its pages were others or in another
    order, a status is new or gone, or one of its files cannot be read. The term files
    that change are those of the first KEY_LENGTH letters of a term a changed page has
    or had; the page files those of the changed pages.

    `changed`: the numbers of the only pages whose digest can differ, when the caller knows
    them; `digests` then needs to give only theirs, and no other page's words are read."""
    old = previous.pages
    urls = [root + page.url.lstrip("/") for page in pages]
    if len(old) != len(urls) or list(old) != urls:
        return None
    try:
        if changed is None:
            changed = [n for n, url in enumerate(urls) if old[url].digest != digests[n]]
        else:
            changed = [n for n in changed if old[urls[n]].digest != digests[n]]
    except KeyError:   # a page's words damaged in the cache
        return None
    statuses = sorted({page.status.search_key() for page in pages} - {""})
    try:
        manifest = json.loads(read(MANIFEST) or b"null")
        if (not isinstance(manifest, dict) or manifest.get("version") != FORMAT or manifest.get("pages") != len(pages)
                or manifest.get("statuses") != [json.loads(s) for s in statuses]):
            return None
        keys = [str(key) for key in manifest["terms"]]
    except (ValueError, KeyError, TypeError):
        return None
    index = IndexBuilder()
    changes: dict[str, PageWords] = {}
    scores: dict[int, dict[str, int]] = {}
    touched: set[str] = set()   # terms whose postings change: a changed page's score in them differs
    for n in changed:
        entry, topics = _entry(pages[n], root, labels)
        scores[n] = new = index.scores(entry.title, entry.description, entry.type, topics, body_text(pages[n].html))
        before = dict(old[urls[n]].pairs())
        touched.update(term for term in before.keys() | new.keys() if before.get(term) != new.get(term))
        changes[urls[n]] = PageWords.of(digests[n], new)
    groups = {term[:KEY_LENGTH] for term in touched}
    files: dict[str, bytes] = {}
    kept_keys = []
    regrouped: dict[str, list[str]] = {}
    for key in keys:
        if key[:KEY_LENGTH] in groups:
            regrouped.setdefault(key[:KEY_LENGTH], []).append(key)
        else:
            kept_keys.append(key)
    for key in kept_keys:
        data = read(_term_file(key))
        if data is None:
            return None
        files[_term_file(key)] = data
    # The term files of the touched terms' groups, made again: each touched term's postings
    # without the changed pages, then with their new scores; other terms as they were written.
    gone = set(changed)
    mask = -1 << SCORE_BITS
    entries: dict[str, bytes] = {}
    postings: dict[str, list[int]] = {}
    for group_keys in regrouped.values():
        for key in group_keys:
            data = read(_term_file(key))
            if data is None:
                return None
            found_all = list(_ENTRY.finditer(data))
            if sum(len(found.group(0)) + 1 for found in found_all) + 1 != len(data):
                return None   # not as _term_file_bytes writes it
            for found in found_all:
                term = found.group(1).decode("utf-8")
                if term not in touched:
                    entries[term] = found.group(0)
                    continue
                packed, last = [], 0
                for gap in map(int, found.group(2).split(b",")):
                    last = gap + (last & mask)
                    if last >> SCORE_BITS not in gone:
                        packed.append(last)
                postings[term] = packed
    for n in changed:
        base = n << SCORE_BITS
        for term, score in scores[n].items():
            if term in touched:
                postings.setdefault(term, []).append(base | score)
    for term, packed in postings.items():
        if packed:
            entries[term] = _term_entry(term, sorted(packed))
    new_keys = []
    for key, chunk in _chunks([(term, entries[term]) for term in sorted(entries)]):
        new_keys.append(key)
        files[_term_file(key)] = _term_file_bytes(chunk)
    numbers = {status: n for n, status in enumerate(statuses, 1)}
    redo = {n // PAGE_GROUP for n in changed}
    for number in range(-(-len(pages) // PAGE_GROUP)):
        if number in redo:
            rows = []
            for page in pages[number * PAGE_GROUP:(number + 1) * PAGE_GROUP]:
                entry, _ = _entry(page, root, labels)
                rows.append(entry.packed(numbers.get(entry.status, 0)))
            files[_page_file(number)] = _dump(rows)
        else:
            data = read(_page_file(number))
            if data is None:
                return None
            files[_page_file(number)] = data
    files[MANIFEST] = _manifest(files, len(pages), statuses, kept_keys + new_keys)
    return files, previous.changed(changes)


