"""Images: their sizes, the checks on them, and smaller copies for small screens.

Every `<img>` the build makes from a local file gets `width` and `height`, so
the page does not shift as images load: the lead image (front matter
`image:`) through the layout, and body images through the Markdown renderer.
Sizes are read from the file: PNG, JPEG, GIF and WebP with Pillow (only the
header), SVG from the `width` and `height` of its root element, or its
`viewBox`, parsed with expat and no entities at all.

A raster image wider than LARGE pixels (PNG, JPEG, WebP; not GIF or an
animation, which a resize would stop) also gets smaller copies, one for each
of VARIANT_WIDTHS, written next to it as NAME-640w.EXT, and listed in the
`<img>`'s `srcset` with `sizes`. Making them is the slow part of a build, so
they are kept in SITE/.policysite-cache/images/, named by the SHA-256 of the
source file's bytes: a later build copies them instead of encoding again.
They are encoded with fixed settings and no metadata (no EXIF, no text
chunks, no dates), so the same image gives the same bytes on every run.

A lead image narrower than MIN_LEAD_WIDTH is a warning (`image-too-small`):
its slot is SLOT_WIDTH pixels wide on a wide screen, and a smaller image is
stretched or shows as a speck. A file that cannot be read as an image is a
warning at the line that uses it (`image-unreadable`): the page still works,
with the alt text in the image's place, and `--strict` makes it an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import html as html_lib
import io
import os
import posixpath
import re
import warnings
import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostics
from .model import Page, StaticFile

if TYPE_CHECKING:
    from .links import Resolver
    from .site import Site

# The column a lead image fills on a wide screen: two thirds of a 960 px page,
# less the gutters. A lead image narrower than about half of it is warned about.
SLOT_WIDTH = 630
MIN_LEAD_WIDTH = 300
# Raster images wider than LARGE get copies this wide, for the browser to pick from.
LARGE = 960
VARIANT_WIDTHS = (320, 640, 960)
# How wide the image is shown: the column on a wide screen, else the screen's width.
SIZES = f"(min-width: 48.0625em) {SLOT_WIDTH}px, 100vw"

SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP", ".svg": "SVG"}
RESIZED_FORMATS = {"PNG", "JPEG", "WEBP"}
# Fixed encoder settings: the same pixels give the same bytes.
JPEG_QUALITY = 82
WEBP_QUALITY = 80
PNG_COMPRESSION = 9
# Changes whenever the way copies are made changes, so old cached copies are not used.
VARIANT_RECIPE = "1"
# An SVG's header holds its size: more than this before the root element is not an image we can size.
SVG_READ_LIMIT = 256 * 1024


class ImageProblem(Exception):
    """A file that cannot be used as an image; the message says what to do."""


@dataclass(frozen=True)
class ImageSize:
    """An image's size as a browser shows it (after EXIF rotation), and its format."""

    width: int
    height: int
    format: str                   # PNG, JPEG, GIF, WEBP or SVG
    animated: bool = False


# An SVG with no width, height or viewBox: its size is the browser's choice.
UNKNOWN_SVG = ImageSize(0, 0, "SVG")


@dataclass(frozen=True)
class Variant:
    """A smaller copy of a raster image."""

    width: int
    height: int
    url: str                      # site-relative, like StaticFile.url


@dataclass(frozen=True)
class Picture:
    """What an `<img>` of a local file carries besides `src` and `alt`."""

    width: int
    height: int
    srcset: str = ""
    sizes: str = ""

    def attributes(self) -> dict[str, str]:
        """The attributes, as strings, leaving out empty ones."""
        found = {"width": str(self.width), "height": str(self.height), "srcset": self.srcset, "sizes": self.sizes}
        return {name: value for name, value in found.items() if value}


def is_image(path: str) -> bool:
    """True for a file whose name says it is an image policysite can size."""
    return posixpath.splitext(path.lower())[1] in SUFFIXES


# -- reading sizes -----------------------------------------------------------------

_SIZES: dict[tuple, ImageSize | ImageProblem] = {}   # (path, size, mtime) -> what reading it gave


def read_size(abs_path: str) -> ImageSize:
    """The size of the image at abs_path; raises ImageProblem. Remembered while the file is unchanged."""
    try:
        st = os.stat(abs_path)
    except OSError as error:
        raise ImageProblem(f"the file cannot be read ({error.strerror})") from None
    key = (abs_path, st.st_size, st.st_mtime_ns, st.st_ino)
    found = _SIZES.get(key)
    if found is None:
        try:
            found = _read(abs_path)
        except ImageProblem as problem:
            found = problem
        _SIZES[key] = found
    if isinstance(found, ImageProblem):
        raise found
    return found


def _read(abs_path: str) -> ImageSize:
    kind = SUFFIXES.get(posixpath.splitext(abs_path.lower())[1])
    if kind == "SVG":
        with open(abs_path, "rb") as handle:
            return svg_size(handle.read(SVG_READ_LIMIT))
    return _raster_size(abs_path)


@contextlib.contextmanager
def _big_images_allowed():
    """Pillow warns (on stderr) about images of over 89 million pixels; a photo may be
    that big. Those over twice that still raise DecompressionBombError: a problem."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def _raster_size(abs_path: str) -> ImageSize:
    from PIL import Image, UnidentifiedImageError  # only builds with raster images pay for the import

    try:
        with _big_images_allowed(), Image.open(abs_path) as image:
            if image.format not in RESIZED_FORMATS | {"GIF"}:
                raise ImageProblem(f"this is a {image.format} image: use PNG, JPEG, GIF, WebP or SVG")
            width, height = image.size
            # Browsers turn a photo as its EXIF orientation says (5 to 8: a quarter turn).
            if image.format in ("JPEG", "WEBP") and image.getexif().get(0x0112) in (5, 6, 7, 8):
                width, height = height, width
            animated = bool(getattr(image, "is_animated", False))
            fmt = image.format
    except UnidentifiedImageError:
        raise ImageProblem("the file is not an image policysite can read (PNG, JPEG, GIF, WebP or SVG), "
                           "or it is damaged: export it again") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageProblem(f"the image is damaged ({error}): export it again") from None
    if width < 1 or height < 1:
        raise ImageProblem("the image has no pixels: export it again")
    return ImageSize(width, height, fmt, animated)


_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px)?\s*$")


class _RootFound(Exception):
    pass


def svg_size(data: bytes) -> ImageSize:
    """The size of an SVG from its root element: `width` and `height` in pixels, or
    what `viewBox` gives for those missing. Entities are refused, not expanded,
    and nothing outside the file is read."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: dict[str, str] = {}

    def entity(*_args):
        raise ImageProblem("the SVG declares entities (`<!ENTITY`): save it without them")

    def start(name, attributes):
        root["name"] = name
        root.update((key, value) for key, value in attributes.items())
        raise _RootFound

    parser.EntityDeclHandler = entity
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except _RootFound:
        pass
    except xml.parsers.expat.ExpatError as error:
        raise ImageProblem(f"the SVG is not well-formed XML ({error}): export it again") from None
    if root.get("name", "").rsplit(" ", 1)[-1] != "svg":
        raise ImageProblem("the file does not start with an `<svg>` element: export it again as SVG")
    width, height = _svg_length(root.get("width")), _svg_length(root.get("height"))
    box = None
    try:
        numbers = [float(n) for n in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if n]
        if len(numbers) == 4 and numbers[2] > 0 and numbers[3] > 0:
            box = numbers[2], numbers[3]
    except ValueError:
        box = None
    if width is None and height is None:
        if box is None:
            return UNKNOWN_SVG   # browsers show it at a default size; nothing to write
        width, height = box
    elif width is None:
        width = height * box[0] / box[1] if box else None
    elif height is None:
        height = width * box[1] / box[0] if box else None
    if not width or not height:
        raise ImageProblem("the SVG gives only one of `width` and `height` and no `viewBox`: add the other")
    return ImageSize(max(1, round(width)), max(1, round(height)), "SVG")


def _svg_length(value: str | None) -> float | None:
    """A length in pixels (`120` or `120px`); None for none, or for %, em and other units."""
    match = _LENGTH.match(value or "")
    return float(match.group(1)) if match and float(match.group(1)) > 0 else None


# -- pictures ----------------------------------------------------------------------

def variant_url(url: str, width: int) -> str:
    """/assets/photo.jpg, 640 -> /assets/photo-640w.jpg"""
    stem, suffix = posixpath.splitext(url)
    return f"{stem}-{width}w{suffix}"


def variants(file: StaticFile, size: ImageSize, taken: set[str]) -> list[Variant]:
    """The smaller copies `file` gets (none for a small, SVG, GIF or animated image).
    A width whose name a file of the site already has (`taken`, casefolded URLs) is skipped."""
    if size.format not in RESIZED_FORMATS or size.animated or size.width <= LARGE:
        return []
    out = []
    for width in VARIANT_WIDTHS:
        url = variant_url(file.url, width)
        if url.casefold() not in taken:
            out.append(Variant(width, max(1, round(size.height * width / size.width)), url))
    return out


def taken_urls(site: Site) -> set[str]:
    """The casefolded URLs of the site's files and assets, which copies must not replace."""
    return {f.url.casefold() for f in site.files.values()} | {url.casefold() for url in site.assets}


def picture(file: StaticFile, href_for: Callable[[str], str], taken: set[str]) -> Picture | None:
    """The sizes and srcset for an `<img>` of `file` (None for an SVG that gives no size); raises ImageProblem."""
    size = read_size(file.abs_path)
    if size.width == 0:   # UNKNOWN_SVG
        return None
    copies = variants(file, size, taken)
    if not copies:
        return Picture(size.width, size.height)
    srcset = ", ".join([f"{href_for(v.url)} {v.width}w" for v in copies] + [f"{href_for(file.url)} {size.width}w"])
    return Picture(size.width, size.height, srcset, SIZES)


def stamp(file: StaticFile) -> list | None:
    """What a rendered `<img>` takes from an image file, for caches to tell whether
    it changed: its size, or its problem; None for a file that is not an image."""
    if not is_image(file.source):
        return None
    try:
        size = read_size(file.abs_path)
    except ImageProblem as problem:
        return ["!", str(problem)]
    return [size.width, size.height, size.format, size.animated]


def size_lead_images(site: Site, resolver: Resolver, diagnostics: Diagnostics, pages: list[Page]) -> None:
    """Give each of these pages' lead image its Picture (page.lead_image), warning when it is too small
    for its slot and reporting a file that is not a usable image, at the `src:` line."""
    taken = None
    for page in pages:
        page.lead_image = None
        image = page.fields.get("image")
        if not image or not page.image_url:
            continue
        target = resolver.outcome(image["src"], page)
        file = getattr(target, "file", None)
        if file is None:
            continue
        line = image.get("src_line", image.get("line", 1))
        if not is_image(file.source):
            diagnostics.warning(page.source, line, f"`image.src` `{image['src']}` is not an image: use a PNG, JPEG, "
                                "GIF, WebP or SVG file", code="image-unreadable")
            continue
        if taken is None:
            taken = taken_urls(site)
        try:
            found = picture(file, resolver.href_for, taken)
        except ImageProblem as problem:
            diagnostics.warning(page.source, line, f"`image.src` `{image['src']}`: {problem}", code="image-unreadable")
            continue
        if found is None:
            continue
        if found.width < MIN_LEAD_WIDTH:
            diagnostics.warning(
                page.source, line,
                f"the lead image `{image['src']}` is {found.width}×{found.height} pixels: a lead image fills a column "
                f"{SLOT_WIDTH} pixels wide, so use one at least {MIN_LEAD_WIDTH} pixels wide (ideally {SLOT_WIDTH} or more)",
                code="image-too-small")
        page.lead_image = found


# -- making the copies ---------------------------------------------------------------

@dataclass
class VariantMaker:
    """Writes the smaller copies of every large raster image of a site.

    cache: the folder that keeps copies between builds (None: keep them only
    in this process, for `--no-cache`)."""

    cache: Path | None
    stats: dict[str, int]
    diagnostics: Diagnostics

    def write(self, site: Site, sink) -> list[str]:
        """Write the copies through `sink`; their output paths."""
        taken = taken_urls(site)
        written: list[str] = []
        used: set[str] = set()
        files = sorted(list(site.files.values()) + [f for f in site.assets.values() if f.source.startswith("assets/")],
                       key=lambda f: f.url)
        for file in files:
            if not is_image(file.source):
                continue
            try:
                size = read_size(file.abs_path)
            except ImageProblem:
                continue   # reported where the image is used
            copies = variants(file, size, taken)
            if not copies:
                continue
            try:
                data = Path(file.abs_path).read_bytes()
            except OSError:
                continue
            key = hashlib.sha256(data).hexdigest()
            for copy in copies:
                name = f"{key}-{VARIANT_RECIPE}-{copy.width}{posixpath.splitext(file.url)[1].lower()}"
                used.add(name)
                encoded = self._cached(name)
                if encoded is None:
                    try:
                        encoded = encode_variant(data, copy.width, size.format)
                    except ImageProblem as problem:
                        # Its header read well but its pixels do not: the pages already name the
                        # copies, so they get the file as it is, which no browser shows either.
                        if copy is copies[0]:
                            self.diagnostics.warning(file.source, 1, f"this image is damaged ({problem}): export it again",
                                                     code="image-unreadable")
                        encoded = data
                    self._keep(name, encoded)
                    self.stats["images_encoded"] = self.stats.get("images_encoded", 0) + 1
                else:
                    self.stats["images_reused"] = self.stats.get("images_reused", 0) + 1
                rel = copy.url.lstrip("/")
                sink.write(rel, encoded)
                written.append(rel)
        self._prune(used)
        return written

    def _cached(self, name: str) -> bytes | None:
        if self.cache is None:
            return _ENCODED.get(name)
        try:
            return (self.cache / name).read_bytes()
        except OSError:
            return None

    def _keep(self, name: str, data: bytes) -> None:
        if self.cache is None:
            _ENCODED[name] = data
            return
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = self.cache / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.cache / name)
        except OSError:
            pass   # a cache that cannot be written only costs time

    def _prune(self, used: set[str]) -> None:
        """Forget copies of images the site no longer has."""
        if self.cache is None or not self.cache.is_dir():
            return
        for path in self.cache.iterdir():
            if path.name not in used:
                try:
                    path.unlink()
                except OSError:
                    pass


_ENCODED: dict[str, bytes] = {}   # copies made in this process, when there is no cache folder


def encode_variant(data: bytes, width: int, fmt: str) -> bytes:
    """`data` (an image) scaled to `width` pixels wide, in format `fmt`, with no metadata."""
    from PIL import Image, ImageOps

    try:
        with _big_images_allowed(), Image.open(io.BytesIO(data)) as source:
            icc = source.info.get("icc_profile")
            image = ImageOps.exif_transpose(source)
            height = max(1, round(image.height * width / image.width))
            if fmt == "JPEG":
                mode = "RGB" if image.mode not in ("L", "RGB") else image.mode
            else:
                mode = "RGBA" if image.mode in ("P", "PA", "LA", "RGBA") or "transparency" in image.info else "RGB"
            image = image.convert(mode).resize((width, height), Image.Resampling.LANCZOS)
    except Exception as error:   # Pillow raises many kinds for a damaged file
        raise ImageProblem(str(error) or type(error).__name__) from None
    out = io.BytesIO()
    # The colour profile stays (it is how the colours are meant); EXIF, text and dates do not.
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False, subsampling=2, **extra)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, exact=False, **extra)
    else:
        image.save(out, "PNG", optimize=False, compress_level=PNG_COMPRESSION, **extra)
    return out.getvalue()


_IMG_TAG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\ssrc="([^"]*)"')
_SIZED = re.compile(r"\s(?:width|height)=")


def add_picture_attributes(html: str, pictures: dict[str, Picture]) -> str:
    """On each `<img>` of sanitised HTML whose src (as written in the HTML) has a
    Picture: `width` and `height` unless it has either, and `srcset` and `sizes`.
    Done after sanitising, which would drop srcset: these values are the build's
    own, not the editor's, so they need no checking."""
    if not pictures or "<img" not in html:
        return html

    def add(match):
        tag = match.group(0)
        src = _SRC.search(tag)
        found = pictures.get(html_lib.unescape(src.group(1))) if src else None
        if found is None:
            return tag
        extra = ""
        if not _SIZED.search(tag):
            extra += f' width="{found.width}" height="{found.height}"'
        if found.srcset and " srcset=" not in tag:
            extra += f' srcset="{html_lib.escape(found.srcset)}" sizes="{html_lib.escape(found.sizes)}"'
        return tag[:-2].rstrip() + extra + " />" if tag.endswith("/>") else tag[:-1] + extra + ">"

    return _IMG_TAG.sub(add, html)
