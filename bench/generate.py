#!/usr/bin/env python3
"""Generate a realistic, deterministic policysite site for benchmarking.

    python bench/generate.py --pages 1000 --out bench/out/site-1000 [--seed 1]

Writes SITE/site_config.yaml and SITE/content/ in policysite's content format
(see the project's SPEC): nested sections 3-4 levels deep, `_index.md` in most
folders, pages of roughly 2-4 KB of government-style prose with front matter,
`##` headings, lists, some tables, a little Govspeak, and cross-links written
as relative (and some content-root) `.md` paths, some with `#heading`
fragments. Every link resolves, so the site builds clean.

`--pages N` is the number of Markdown files under content/, `_index.md`
files included. The same seed and size always give the same bytes.

Only the standard library is used, so the peers' converters can import
`plan_site()` without the project's dependencies.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import posixpath
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from itertools import accumulate

GENERATOR_VERSION = 1

# ---------------------------------------------------------------- vocabulary

ORGANISATIONS = [
    ("department-of-health", "Department of Health"),
    ("department-for-education", "Department for Education"),
    ("department-for-transport", "Department for Transport"),
    ("ministry-of-justice", "Ministry of Justice"),
    ("home-office", "Home Office"),
    ("hm-treasury", "HM Treasury"),
    ("cabinet-office", "Cabinet Office"),
    ("department-for-work-and-pensions", "Department for Work and Pensions"),
    ("department-for-environment-food-and-rural-affairs",
     "Department for Environment, Food and Rural Affairs"),
    ("department-for-communities-and-local-government",
     "Department for Communities and Local Government"),
    ("department-of-energy-and-climate-change",
     "Department of Energy and Climate Change"),
    ("department-for-business-innovation-and-skills",
     "Department for Business, Innovation and Skills"),
    ("department-for-culture-media-and-sport",
     "Department for Culture, Media and Sport"),
    ("ministry-of-defence", "Ministry of Defence"),
    ("department-for-international-development",
     "Department for International Development"),
]

GOVERNMENTS = [
    # key, name, first year, last year (inclusive)
    ("2001-to-2005-labour-government", "2001 to 2005 Labour government", 2001, 2004),
    ("2005-to-2010-labour-government", "2005 to 2010 Labour government", 2005, 2009),
    ("2010-to-2015-conservative-and-liberal-democrat-coalition-government",
     "2010 to 2015 Conservative and Liberal Democrat coalition government", 2010, 2015),
]
CURRENT_GOVERNMENT = GOVERNMENTS[-1][0]

POLICY_AREAS = [
    "Health and social care", "Schools", "Higher education", "Rail",
    "Roads and motoring", "Housing", "Planning", "Flood risk", "Climate change",
    "Energy efficiency", "Policing", "Prisons and probation", "Courts and tribunals",
    "Pensions", "Welfare reform", "Employment", "Business regulation",
    "Trade and investment", "Culture and heritage", "Sport and leisure",
    "International development", "Local government", "Immigration", "Tax",
    "Science and innovation", "Farming", "Fisheries", "Water quality",
    "Air quality", "Apprenticeships", "Childcare and early years",
    "Homelessness", "Public health", "Mental health", "Adult social care",
    "Broadband", "Digital services", "Armed forces", "Veterans", "Cycling",
    "Aviation", "Maritime", "Waste and recycling", "Wildlife and habitats",
    "Community cohesion", "Charities and volunteering", "Consumer protection",
    "Legal aid", "Road safety", "Skills and training",
]

SUBSECTION_WORDS = [
    "funding", "regulation", "guidance for providers", "statistics",
    "local delivery", "programmes", "standards", "research", "workforce",
    "inspection", "grants", "reform", "monitoring", "legislation",
    "partnerships", "evaluation", "pilots", "performance", "eligibility",
    "infrastructure", "governance", "capital projects", "training",
    "data and analysis", "national schemes", "regional schemes",
    "compliance", "enforcement", "advice", "reviews",
]

MODIFIERS = [
    "rural", "urban", "coastal", "local", "national", "regional", "community",
    "low carbon", "affordable", "digital", "public", "independent", "early years",
    "adult", "youth", "specialist", "voluntary", "integrated", "sustainable",
    "accessible", "emergency", "long term", "small business", "household",
]

NOUNS = [
    "bus services", "flood defences", "housing", "care services", "broadband",
    "apprenticeships", "school meals", "sports facilities", "health checks",
    "energy efficiency", "water quality", "libraries", "road safety",
    "cycling infrastructure", "mental health services", "youth services",
    "courts", "legal aid", "pension schemes", "tax credits", "business rates",
    "planning permission", "waste collection", "air quality", "fishing quotas",
    "childcare places", "hospital discharge", "teacher training",
    "rail franchising", "victim support", "export finance", "heritage sites",
    "park and ride schemes", "skills funding", "home insulation",
    "dementia care", "rough sleeping", "land registration", "animal health",
    "food labelling", "charity regulation", "vehicle licensing",
]

PEOPLE = [
    "residents", "employers", "patients", "pupils", "parents", "carers",
    "local authorities", "small businesses", "landlords", "tenants",
    "young people", "older people", "farmers", "commuters", "service users",
    "voluntary organisations", "schools", "hospitals", "councils",
    "jobseekers", "veterans", "households", "providers", "students",
]

PLACES = [
    "England", "the North East", "the North West", "Yorkshire and the Humber",
    "the East Midlands", "the West Midlands", "the East of England", "London",
    "the South East", "the South West", "rural areas", "coastal towns",
    "the devolved administrations", "every local authority area",
]

VERBS = [  # base, 3rd person, past participle, -ing
    ("improve", "improves", "improved", "improving"),
    ("reduce", "reduces", "reduced", "reducing"),
    ("support", "supports", "supported", "supporting"),
    ("protect", "protects", "protected", "protecting"),
    ("expand", "expands", "expanded", "expanding"),
    ("reform", "reforms", "reformed", "reforming"),
    ("simplify", "simplifies", "simplified", "simplifying"),
    ("strengthen", "strengthens", "strengthened", "strengthening"),
    ("modernise", "modernises", "modernised", "modernising"),
    ("fund", "funds", "funded", "funding"),
    ("review", "reviews", "reviewed", "reviewing"),
    ("deliver", "delivers", "delivered", "delivering"),
    ("extend", "extends", "extended", "extending"),
    ("regulate", "regulates", "regulated", "regulating"),
    ("promote", "promotes", "promoted", "promoting"),
]

BENEFITS = [
    "get the help they need sooner", "make informed choices",
    "plan with confidence", "spend less time on paperwork",
    "take part in decisions that affect them", "find work more quickly",
    "stay safe and well at home", "save money on energy bills",
    "get a fair hearing", "access services online",
    "benefit from faster journeys", "keep more of what they earn",
]

DOC_NOUNS = ["policy", "guidance", "document", "report", "strategy", "framework",
             "plan", "impact assessment", "consultation", "statement"]

SURVEYS = ["Household Survey", "Labour Force Survey", "Census",
           "Annual Population Survey", "National Travel Survey",
           "Crime Survey", "Schools Census", "Family Resources Survey"]

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]

ROLES = ["Secretary of State", "Minister of State", "Parliamentary Under Secretary",
         "Chancellor", "Minister for Local Growth", "Minister for Skills",
         "Minister for Public Health", "Minister for Transport"]

HEADINGS = [
    "Overview", "Background", "What we are doing", "Who this applies to",
    "Eligibility", "How to apply", "Funding", "Timetable", "Key facts",
    "Impact on businesses", "Next steps", "Further information", "Evidence",
    "Legislation", "Monitoring and evaluation", "Regional delivery",
    "Costs and benefits", "Equality impact", "Responsibilities of local authorities",
    "What happens next", "Progress so far", "Who we consulted", "How to respond",
    "Our commitments", "The problem", "Options considered", "Risks",
    "Working with partners", "Data and statistics", "Reporting requirements",
    "Exemptions", "Appeals", "Contact details", "Transitional arrangements",
    "Summary of responses", "Government response", "Scope", "Definitions",
    "Deadlines", "Training and support",
]

ABBREVIATIONS = [
    ("NHS", "National Health Service"),
    ("HMRC", "HM Revenue and Customs"),
    ("DVLA", "Driver and Vehicle Licensing Agency"),
    ("ONS", "Office for National Statistics"),
    ("LEP", "Local Enterprise Partnership"),
    ("VAT", "Value Added Tax"),
]

SECTION_TYPES = [
    # top-level folder, title, page type
    ("policy", "Policy", "policy"),
    ("guidance", "Guidance", "guidance"),
    ("publications", "Publications", "publication"),
    ("news", "News", "news"),
    ("speeches", "Speeches", "speech"),
    ("consultations", "Consultations", "consultation"),
    ("about", "About us", "page"),
]


# ---------------------------------------------------------------- helpers

def slugify(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60].rstrip("-") or "page"


def heading_id(text: str, seen: dict[str, int]) -> str:
    """The id policysite gives a heading: lower case, non-alphanumerics
    dropped, words joined by '-', made unique with -1, -2."""
    words = re.sub(r"[^a-z0-9\s]", "", text.lower()).split()
    base = "-".join(words) or "section"
    n = seen.get(base)
    if n is None:
        seen[base] = 0
        return base
    while True:
        n += 1
        candidate = f"{base}-{n}"
        if candidate not in seen:
            seen[base] = n
            seen[candidate] = 0
            return candidate


def yq(value: str) -> str:
    """Quote a string for YAML (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


@dataclass
class Folder:
    path: str            # posix, relative to content/ ("" for the root)
    title: str
    depth: int
    ptype: str
    has_index: bool = True
    children: list[Folder] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)


@dataclass
class Page:
    src: str             # posix, relative to content/, e.g. "policy/x/y.md"
    title: str
    ptype: str
    is_index: bool
    folder: Folder
    headings: list[tuple[str, str]] = field(default_factory=list)  # (text, id)
    linkable: list[tuple[str, str]] = field(default_factory=list)  # unique ids

    @property
    def url(self) -> str:
        if self.is_index:
            d = posixpath.dirname(self.src)
            return "/" + (d + "/" if d else "")
        return "/" + self.src[:-3] + "/"


# ---------------------------------------------------------------- the plan

class SitePlanner:
    def __init__(self, pages: int, seed: int):
        if pages < 10:
            raise ValueError("--pages must be at least 10")
        self.n = pages
        self.rng = random.Random(seed)
        self.used_titles: set[str] = set()
        self.pages: list[Page] = []

    # config ---------------------------------------------------------
    def plan_config(self):
        rng = self.rng
        norg = max(3, min(len(ORGANISATIONS), self.n // 150))
        self.orgs = ORGANISATIONS[:norg]
        ntop = max(5, min(len(POLICY_AREAS), self.n // 40))
        areas = rng.sample(POLICY_AREAS, ntop)
        self.topics = [(slugify(a), a) for a in areas]

    # folders --------------------------------------------------------
    def plan_folders(self):
        rng = self.rng
        n = self.n
        norg = len(self.orgs)
        self.root = Folder("", "Home", 0, "page")
        # top-level sections, fewer for tiny sites
        ntopsec = max(3, min(len(SECTION_TYPES), n // 12))
        tops = [Folder(name, title, 1, ptype)
                for name, title, ptype in SECTION_TYPES[:ntopsec]]
        self.root.children.extend(tops)
        self.org_folder = Folder("organisations", "Organisations", 1, "organisation")
        self.root.children.append(self.org_folder)
        # folder budget: about one folder per 9 pages
        budget = max(ntopsec + 3, (n - norg) // 9)
        folders = list(tops)
        # a guaranteed 4-level chain under the first section
        parent = tops[0]
        for depth in (2, 3, 4):
            child = self._new_subfolder(parent, depth)
            folders.append(child)
            parent = child
        # prefer growing depth 2 and 3; cumulative weights kept as folders are added
        # (the same draws as weights made afresh each time, in linear time)
        weight = {1: 3, 2: 4, 3: 2, 4: 0}
        cumulative = list(accumulate(weight[f.depth] for f in folders))
        while len(folders) < budget:
            parent = rng.choices(folders, cum_weights=cumulative)[0]
            folders.append(self._new_subfolder(parent, parent.depth + 1))
            cumulative.append(cumulative[-1] + weight[folders[-1].depth])
        self.folders = [self.root] + folders + [self.org_folder]
        # most folders have _index.md; top-level ones and the root always
        for f in folders:
            if f.depth >= 2 and rng.random() < 0.15:
                f.has_index = False

    def _new_subfolder(self, parent: Folder, depth: int) -> Folder:
        rng = self.rng
        taken = {c.path.rsplit("/", 1)[-1] for c in parent.children}
        taken.add(parent.path.rsplit("/", 1)[-1])
        for _ in range(50):
            if depth == 2:
                title = rng.choice(POLICY_AREAS)
            else:
                title = cap(rng.choice(SUBSECTION_WORDS))
                if rng.random() < 0.3:
                    title = f"{title} {rng.randint(2005, 2015)}"
            slug = slugify(title)
            if slug not in taken:
                break
        else:
            slug = f"{slug}-{len(parent.children)}"
        child = Folder(f"{parent.path}/{slug}", title, depth, parent.ptype)
        parent.children.append(child)
        return child

    # pages ----------------------------------------------------------
    def unique_title(self, make) -> str:
        for _ in range(20):
            t = make()
            if t not in self.used_titles:
                break
        else:
            base = t
            i = 2
            while f"{base} ({i})" in self.used_titles:
                i += 1
            t = f"{base} ({i})"
        self.used_titles.add(t)
        return t

    def subject(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            return f"{rng.choice(MODIFIERS)} {rng.choice(NOUNS)}"
        return rng.choice(NOUNS)

    def make_title(self, ptype: str) -> str:
        rng = self.rng
        s = self.subject()
        year = rng.randint(2003, 2015)
        v = rng.choice(VERBS)
        options = {
            "policy": [f"{cap(v[3])} {s}", f"{cap(v[3])} {s} in {rng.choice(PLACES)}",
                       f"Making {s} fairer", f"{cap(s)} reform"],
            "guidance": [f"{cap(s)}: guidance for {rng.choice(PEOPLE)}",
                         f"How to apply for {s} support", f"{cap(s)} rules explained",
                         f"{cap(s)}: what {rng.choice(PEOPLE)} need to know"],
            "publication": [f"{cap(s)} annual report {year}",
                            f"{cap(s)}: impact assessment",
                            f"{cap(s)} statistics: {rng.choice(MONTHS)} {year}",
                            f"Review of {s} {year}"],
            "news": [f"{rng.choice(ROLES)} announces £{rng.randint(2, 900)} million for {s}",
                     f"New plans for {s} published",
                     f"{cap(s)} figures show improvement in {rng.choice(PLACES)}"],
            "speech": [f"{rng.choice(ROLES)}'s speech on {s}",
                       f"{cap(s)}: speech to the {rng.choice(['annual conference', 'local government association', 'summit', 'national forum'])}"],
            "consultation": [f"Consultation on {s}", f"{cap(s)}: call for evidence",
                             f"Proposals to {v[0]} {s}"],
            "page": [f"{cap(s)} at the department", f"Our work on {s}",
                     f"{cap(s)}: corporate information"],
        }
        return rng.choice(options[ptype])

    def plan_pages(self):
        rng = self.rng
        # section index pages
        for f in self.folders:
            if f.has_index:
                title = "Example Government Policy" if f.depth == 0 else f.title
                src = (f.path + "/_index.md").lstrip("/") if f.path else "_index.md"
                p = Page(src, title, f.ptype if f.depth else "page", True, f)
                f.pages.append(p)
                self.pages.append(p)
        # organisation pages
        for key, name in self.orgs:
            p = Page(f"organisations/{key}.md", name, "organisation", False, self.org_folder)
            self.used_titles.add(name)
            self.org_folder.pages.append(p)
            self.pages.append(p)
        remaining = self.n - len(self.pages)
        if remaining < 0:
            raise ValueError("--pages too small for the section structure")
        content_folders = [f for f in self.folders[1:] if f is not self.org_folder]
        # leaves first get one page each, then weighted by depth
        leaves = [f for f in content_folders if not f.children]
        targets: list[Folder] = []
        for f in leaves:
            if len(targets) < remaining:
                targets.append(f)
        cumulative = list(accumulate({1: 1, 2: 2, 3: 3, 4: 3}[f.depth] for f in content_folders))
        while len(targets) < remaining:
            targets.append(rng.choices(content_folders, cum_weights=cumulative)[0])
        for f in targets:
            title = self.unique_title(lambda f=f: self.make_title(f.ptype))
            taken = {posixpath.basename(p.src)[:-3] for p in f.pages}
            slug = slugify(title)
            base, i = slug, 2
            while slug in taken or slug == "_index":
                slug = f"{base}-{i}"
                i += 1
            p = Page(f"{f.path}/{slug}.md".lstrip("/"), title, f.ptype, False, f)
            f.pages.append(p)
            self.pages.append(p)
        # pre-plan headings so other pages can link to them
        for p in self.pages:
            k = rng.randint(1, 3) if p.is_index else rng.randint(3, 6)
            texts = rng.sample(HEADINGS, k)
            if not p.is_index and rng.random() < 0.08:
                texts.append("Further information")  # maybe a duplicate
            if rng.random() < 0.15:
                texts[0] = f"{texts[0]} in {rng.randint(2005, 2015)}"
            seen: dict[str, int] = {}
            p.headings = [(t, heading_id(t, seen)) for t in texts]
            counts: dict[str, int] = {}
            for t, _ in p.headings:
                counts[t] = counts.get(t, 0) + 1
            p.linkable = [(t, i) for t, i in p.headings if counts[t] == 1]
        self.by_src = {p.src: p for p in self.pages}
        self.by_folder_top: dict[str, list[Page]] = {}
        for p in self.pages:
            top = p.src.split("/", 1)[0] if "/" in p.src else ""
            self.by_folder_top.setdefault(top, []).append(p)


def plan_site(pages: int, seed: int) -> SitePlanner:
    sp = SitePlanner(pages, seed)
    sp.plan_config()
    sp.plan_folders()
    sp.plan_pages()
    return sp


# ---------------------------------------------------------------- writing

class Writer:
    def __init__(self, plan: SitePlanner, seed: int):
        self.plan = plan
        self.rng = random.Random(seed * 7919 + 17)

    # links ------------------------------------------------------------
    def pick_target(self, page: Page) -> Page:
        rng = self.rng
        plan = self.plan
        for _ in range(10):
            r = rng.random()
            if r < 0.3 and len(page.folder.pages) > 1:
                t = rng.choice(page.folder.pages)
            elif r < 0.6:
                top = page.src.split("/", 1)[0] if "/" in page.src else ""
                t = rng.choice(plan.by_folder_top.get(top) or plan.pages)
            else:
                t = rng.choice(plan.pages)
            if t is not page:
                return t
        return plan.pages[0] if plan.pages[0] is not page else plan.pages[1]

    def href(self, page: Page, target: Page, fragment: str | None = None) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            h = "/" + target.src                           # content-root path
        elif r < 0.12:
            h = target.url                                 # internal URL
        else:
            h = posixpath.relpath(target.src, posixpath.dirname(page.src) or ".")
        if fragment:
            h += "#" + fragment
        return h

    def link(self, page: Page) -> str:
        rng = self.rng
        t = self.pick_target(page)
        frag_text = None
        frag = None
        if t.linkable and rng.random() < 0.3:
            frag_text, frag = rng.choice(t.linkable)
        h = self.href(page, t, frag)
        r = rng.random()
        if r < 0.05 and not frag:
            text = ""                                      # target's title
        elif frag_text and r < 0.5:
            text = f"{frag_text.lower()} in {t.title}"
        else:
            text = t.title
        return f"[{text}]({h})"

    # prose -------------------------------------------------------------
    def sentence(self, page: Page, subject: str, org: str) -> str:
        rng = self.rng
        v = rng.choice(VERBS)
        v2 = rng.choice(VERBS)
        obj = subject if rng.random() < 0.5 else self.plan.subject()
        people = rng.choice(PEOPLE)
        year = rng.randint(2003, 2016)
        t = rng.randrange(22)
        if t == 0:
            return f"The {org} {v[1]} {obj} across {rng.choice(PLACES)}."
        if t == 1:
            return f"Since {year}, {rng.randint(2, 950):,} {people} have {v[2]} {obj}."
        if t == 2:
            return f"We will {v[0]} {obj} so that {people} can {rng.choice(BENEFITS)}."
        if t == 3:
            return (f"This {rng.choice(DOC_NOUNS)} sets out how the {org} will "
                    f"{v[0]} {obj} over the next {rng.randint(2, 10)} years.")
        if t == 4:
            return f"Local authorities must {v[0]} {obj} by {rng.choice(MONTHS)} {year}."
        if t == 5:
            return (f"Funding of £{rng.randint(1, 500)} million is available to "
                    f"{v[0]} {obj} in {rng.choice(PLACES)}.")
        if t == 6:
            return (f"Evidence from the {year} {rng.choice(SURVEYS)} shows that "
                    f"{rng.randint(3, 97)}% of {people} rely on {obj}.")
        if t == 7:
            return (f"{cap(people)} told us that {obj} should be simpler to use and "
                    f"easier to understand.")
        if t == 8:
            return (f"The changes will help {people} {rng.choice(BENEFITS)}, while "
                    f"keeping costs to the taxpayer as low as possible.")
        if t == 9:
            return (f"We are working with {rng.choice(PEOPLE)} and "
                    f"{rng.choice(PEOPLE)} to {v[0]} {obj}.")
        if t == 10:
            return (f"{cap(v[3])} {obj} is one of the government's priorities for "
                    f"{rng.choice(PLACES)}.")
        if t == 11:
            return (f"An independent review published in {rng.choice(MONTHS)} {year} "
                    f"recommended that we {v[0]} {obj} and {v2[0]} {self.plan.subject()}.")
        if t == 12:
            return (f"The new arrangements apply from {rng.randint(1, 28)} "
                    f"{rng.choice(MONTHS)} {year} and replace the previous scheme.")
        if t == 13:
            return (f"Around {rng.randint(2, 90)},000 {people} are expected to benefit "
                    f"in the first year.")
        if t == 14:
            return (f"We will publish an update on {obj} each year, setting out what "
                    f"has changed and what we have learned.")
        if t == 15:
            return f"{cap(obj)} {rng.choice(['remains', 'is still', 'has become'])} a concern for many {people}."
        if t == 16:
            return (f"Where {people} cannot {v[0]} {obj} themselves, the council will "
                    f"offer advice and practical support.")
        if t == 17:
            return (f"The {org} has {v2[2]} the rules on {obj} after listening to "
                    f"{people} and their representatives.")
        if t == 18:
            return (f"Costs are estimated at £{rng.randint(1, 90)}.{rng.randint(0, 9)} "
                    f"million a year, with benefits of about £{rng.randint(100, 999)} "
                    f"million over ten years.")
        if t == 19:
            return (f"Decisions about {obj} will be taken as close as possible to the "
                    f"people they affect.")
        if t == 20:
            return (f"In {year} the {org} {v[2]} "
                    f"{obj} in {rng.randint(3, 40)} pilot areas.")
        return (f"For most {people}, the main change is that {obj} will be "
                f"{v[2]} more quickly.")

    def paragraph(self, page: Page, subject: str, org: str, links: int = 0) -> str:
        rng = self.rng
        sents = [self.sentence(page, subject, org) for _ in range(rng.randint(2, 5))]
        for _ in range(links):
            lt = rng.randrange(5)
            ln = self.link(page)
            sents.insert(rng.randint(0, len(sents)), [
                f"Read more about {ln}.",
                f"See {ln} for details.",
                f"This builds on {ln}.",
                f"The {ln} page explains how this works in practice.",
                f"You can also read {ln}.",
            ][lt])
        return " ".join(sents)

    def bullet_list(self, page: Page, subject: str) -> str:
        rng = self.rng
        items = []
        for _ in range(rng.randint(3, 6)):
            r = rng.random()
            if r < 0.2:
                items.append(self.link(page))
            elif r < 0.6:
                items.append(f"{rng.choice(VERBS)[3]} {self.plan.subject()}")
            else:
                items.append(f"{rng.choice(PEOPLE)} in {rng.choice(PLACES)}")
        if rng.random() < 0.4:
            return "\n".join(f"{i}. {cap(x)}" for i, x in enumerate(items, 1))
        intro = rng.choice(["This includes:", "It covers:", "You can get help if you are one of:",
                            "We will:", "The main changes are:"])
        return intro + "\n\n" + "\n".join(f"- {x}" for x in items)

    def table(self) -> str:
        rng = self.rng
        y = rng.randint(2004, 2013)
        head = f"| Region | {y} to {y + 1} | {y + 1} to {y + 2} | Change |"
        rows = [head, "| --- | ---: | ---: | ---: |"]
        for place in rng.sample(PLACES[:10], rng.randint(3, 6)):
            a = rng.randint(100, 9000)
            b = a + rng.randint(-500, 900)
            rows.append(f"| {cap(place)} | {a:,} | {b:,} | {100 * (b - a) / a:+.1f}% |")
        return "\n".join(rows)

    def front_matter(self, page: Page, subject: str) -> tuple[str, str]:
        rng = self.rng
        plan = self.plan
        fm = [f"title: {yq(page.title)}"]
        org_key = rng.choice(plan.orgs)[0]
        org_name = dict(plan.orgs)[org_key]
        if page.is_index:
            if rng.random() < 0.8:
                fm.append(f"description: {yq(self._description(subject, org_name))}")
            if page.folder.depth >= 1 and rng.random() < 0.5:
                fm.append(f"weight: {rng.randint(1, 20)}")
            return "\n".join(fm), org_name
        fm.append(f"description: {yq(self._description(subject, org_name))}")
        if page.ptype != "page" or rng.random() < 0.5:
            fm.append(f"type: {page.ptype}")
        year = rng.randint(2003, 2015)
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        fm.append(f"date: {date}")
        if page.ptype == "consultation":   # open for twelve weeks from its date (no draw from rng: the rest stays the same)
            closes = dt.date.fromisoformat(date) + dt.timedelta(weeks=12)
            fm.append(f"opens: {date} 09:00 +00:00\ncloses: {closes.isoformat()} 23:59 +00:00")
        if rng.random() < 0.2:
            uy = min(2016, year + rng.randint(0, 3))
            upd = f"{uy}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if upd > date:
                fm.append(f"updated: {upd}")
        if page.ptype != "organisation":
            orgs = [org_key]
            if rng.random() < 0.25:
                other = rng.choice(plan.orgs)[0]
                if other != org_key:
                    orgs.append(other)
            fm.append("organisations:\n" + "\n".join(f"  - {o}" for o in orgs))
            topics = rng.sample([k for k, _ in plan.topics], rng.randint(1, 3))
            fm.append("topics:\n" + "\n".join(f"  - {t}" for t in topics))
            gov = next(k for k, _, a, b in GOVERNMENTS if a <= year <= b)
            fm.append(f"government: {gov}")
            if page.ptype in ("policy", "news", "speech") and rng.random() < 0.3:
                fm.append("political: true")
        if rng.random() < 0.6:
            fm.append(f"weight: {rng.randint(1, 50)}")
        if rng.random() < 0.15:
            rel = [self.pick_target(page) for _ in range(rng.randint(1, 3))]
            fm.append("related:\n" + "\n".join(
                f"  - {posixpath.relpath(t.src, posixpath.dirname(page.src) or '.')}"
                for t in rel))
        return "\n".join(fm), org_name

    def _description(self, subject: str, org: str) -> str:
        rng = self.rng
        v = rng.choice(VERBS)
        return rng.choice([
            f"How the {org} plans to {v[0]} {subject}.",
            f"What {rng.choice(PEOPLE)} need to know about {subject}.",
            f"Details of the government's work to {v[0]} {subject} in {rng.choice(PLACES)}.",
            f"Information on {subject}, including funding, eligibility and next steps.",
        ])

    def render(self, page: Page) -> str:
        rng = self.rng
        subject = self.plan.subject()
        fm, org = self.front_matter(page, subject)
        target = rng.randint(900, 1800) if page.is_index else rng.randint(2048, 4000)
        parts = [f"---\n{fm}\n---"]
        size = len(parts[0]) + 1
        parts.append(self.paragraph(page, subject, org, links=1))
        if rng.random() < 0.2:
            parts.append(f"^{self.sentence(page, subject, org)}^")
        if page.is_index:
            kids = [p for p in page.folder.pages if p is not page][:5]
            kids += [c.pages[0] for c in page.folder.children if c.pages][:4]
            if kids:
                parts.append("In this section:\n\n" + "\n".join(
                    f"- [{k.title}]({posixpath.relpath(k.src, posixpath.dirname(page.src) or '.')})"
                    for k in kids))
        size += sum(len(p.encode()) + 2 for p in parts[1:])
        nh = len(page.headings)
        used_abbr = []
        for i, (text, _hid) in enumerate(page.headings):
            parts.append(f"## {text}")
            size += len(text) + 5
            share = (target - size) / max(1, nh - i)
            sec_start = size
            first = True
            while first or size - sec_start < share - 150:
                r = rng.random()
                if not first and r < 0.14 and not page.is_index:
                    block = self.bullet_list(page, subject)
                elif not first and r < 0.26 and not page.is_index:
                    block = self.table()
                elif not first and r < 0.29 and page.linkable and len(page.linkable) > 1:
                    ht, hi = rng.choice(page.linkable)
                    block = f"See [{ht.lower()}](#{hi}) on this page."
                elif first and size > target - 250:
                    block = self.sentence(page, subject, org)   # over budget
                else:
                    block = self.paragraph(page, subject, org,
                                           links=1 if rng.random() < 0.6 else 0)
                if rng.random() < 0.05 and not used_abbr:
                    ab = rng.choice(ABBREVIATIONS)
                    used_abbr.append(ab)
                    block += f" The {ab[0]} will be consulted."
                parts.append(block)
                size += len(block.encode()) + 2
                first = False
                if size > 4000:
                    break
        for ab, full in used_abbr:
            parts.append(f"*[{ab}]: {full}")
        return "\n\n".join(parts) + "\n"


def write_config(plan: SitePlanner, out: str):
    lines = [
        "# Generated by bench/generate.py: a benchmark site, not real content.",
        f"title: {yq('Example Government Policy')}",
        "base_url: https://www.example.gov.uk/",
        "language: en-GB",
        "organisations:",
    ]
    for key, name in plan.orgs:
        lines += [f"  {key}:", f"    name: {yq(name)}",
                  f"    url: /organisations/{key}/"]
    lines.append("governments:")
    for key, name, _, _ in GOVERNMENTS:
        lines += [f"  {key}:", f"    name: {yq(name)}"]
    lines.append(f"current_government: {CURRENT_GOVERNMENT}")
    lines.append("topics:")
    for key, name in plan.topics:
        lines += [f"  {key}:", f"    name: {yq(name)}"]
    with open(os.path.join(out, "site_config.yaml"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")


def generate(pages: int, out: str, seed: int = 1, force: bool = False) -> SitePlanner:
    if os.path.exists(out) and os.listdir(out):
        if not force:
            raise SystemExit(f"{out} exists and is not empty (use --force)")
        for name in ("content", "site_config.yaml", ".generated"):
            p = os.path.join(out, name)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
    os.makedirs(out, exist_ok=True)
    plan = plan_site(pages, seed)
    write_config(plan, out)
    w = Writer(plan, seed)
    content = os.path.join(out, "content")
    for p in plan.pages:
        path = os.path.join(content, *p.src.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(w.render(p))
    # folders without _index.md and without pages still exist as sections
    for f in plan.folders:
        os.makedirs(os.path.join(content, *f.path.split("/")) if f.path else content,
                    exist_ok=True)
    with open(os.path.join(out, ".generated"), "w") as fh:
        json.dump({"pages": pages, "seed": seed, "version": GENERATOR_VERSION}, fh)
    return plan


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000,
                    help="number of Markdown files under content/ (default 1000)")
    ap.add_argument("--out", required=True, help="site folder to write")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--force", action="store_true",
                    help="replace content/ and site_config.yaml if OUT exists")
    args = ap.parse_args(argv)
    try:
        plan = generate(args.pages, args.out, args.seed, args.force)
    except ValueError as e:
        ap.error(str(e))
    nidx = sum(p.is_index for p in plan.pages)
    depth = max(f.depth for f in plan.folders)
    print(f"wrote {len(plan.pages)} pages ({nidx} _index.md) in "
          f"{len(plan.folders) - 1} sections, max depth {depth}, to {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
