"""Problems an editor can cause, reported as `PATH:LINE: severity: message`.

Every stage adds to one Diagnostics collection instead of raising, so a
single run reports every problem it finds, not only the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    severity: str  # "error" or "warning"
    message: str
    code: str = ""  # stable name of the kind of problem, such as `broken-link` (README table)

    def format(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def as_list(self) -> list[str | int]:
        """The plain form kept in caches (JSON)."""
        return [self.path, self.line, self.severity, self.message, self.code]

    @classmethod
    def from_list(cls, item: list[str | int]) -> Diagnostic:
        return cls(*item)

    @staticmethod
    def well_formed(item) -> bool:
        """True for a list that `as_list` could have made (caches may have been edited by hand)."""
        return (isinstance(item, list) and len(item) == 5 and isinstance(item[0], str) and type(item[1]) is int
                and item[2] in ("error", "warning") and isinstance(item[3], str) and isinstance(item[4], str))


@dataclass
class Diagnostics:
    """Collects errors and warnings from every stage of a build."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: str, line: int, message: str, *, code: str) -> None:
        """An error at PATH:LINE; `code` names its kind, from the README's "Problem codes" table."""
        self.items.append(Diagnostic(path, max(1, int(line or 1)), "error", one_line(message), code))

    def warning(self, path: str, line: int, message: str, *, code: str) -> None:
        self.items.append(Diagnostic(path, max(1, int(line or 1)), "warning", one_line(message), code))

    def extend(self, others: list[Diagnostic]) -> None:
        self.items.extend(others)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def has_errors(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def sorted(self, strict: bool = False) -> list[Diagnostic]:
        """Unique diagnostics in file and line order; warnings become errors under --strict."""
        seen = set()
        out = []
        for d in sorted(self.items, key=lambda d: (d.path, d.line, d.severity, d.message)):
            if strict and d.severity == "warning":
                d = Diagnostic(d.path, d.line, "error", d.message + " (an error under --strict)", d.code)
            if d not in seen:
                seen.add(d)
                out.append(d)
        return out


def one_line(message: str) -> str:
    """A message quoting an editor's text kept on its one line of output, control characters shown."""
    message = _LINE_BREAKS.sub(" ", message)
    return _CONTROL.sub(lambda m: "\\t" if m.group() == "\t" else f"\\x{ord(m.group()):02x}", message)


_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile("[\x00-\x08\x09\x0e-\x1b\x1f\x7f]")


def closest(word: str, candidates) -> str | None:
    """The candidate most like `word`, for 'did you mean' hints."""
    import difflib

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
