#!/usr/bin/env bash
# Regenerate lexicon/*.tsv and lexicon/LICENSES/ from Debian packages.
#
#   bash scripts/build-lexicon.sh
#
# Needs apt-get, dpkg-deb and python3 (stdlib only) and access to Debian's
# package archive. The packages are only used here: the generated files are
# committed and embedded in the binary with include_str!.
#
# Versions are pinned so that a rerun gives byte-identical files. To build
# from whatever version apt offers now, run with LEXICON_UNPINNED=1 (and then
# update the versions in lexicon/README.md).
set -euo pipefail

PACKAGES=(
  "mythes-da=1:7.5.0-1"
  "dict-freedict-dan-eng=2022.04.21-1"
  "dict-freedict-eng-dan=2022.04.21-1"
)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/lexicon"

for tool in apt-get dpkg-deb python3; do
  command -v "$tool" >/dev/null || { echo "build-lexicon: $tool not found" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debs" "$tmp/root"
# Let apt's unprivileged _apt user write the downloads (avoids a warning).
chmod 755 "$tmp"
chmod 777 "$tmp/debs"

specs=()
for p in "${PACKAGES[@]}"; do
  if [[ "${LEXICON_UNPINNED:-0}" == 1 ]]; then specs+=("${p%%=*}"); else specs+=("$p"); fi
done

download() { (cd "$tmp/debs" && apt-get download -q "${specs[@]}"); }
if ! download; then
  echo "build-lexicon: download failed; running apt-get update and retrying" >&2
  apt-get update -q >/dev/null
  download || {
    echo "build-lexicon: could not download ${specs[*]}." >&2
    echo "If a pinned version is gone from the archive, rerun with LEXICON_UNPINNED=1." >&2
    exit 1
  }
fi

version_args=()
for p in "${PACKAGES[@]}"; do
  name="${p%%=*}"
  debs=("$tmp/debs/${name}_"*.deb)
  [[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]] || { echo "build-lexicon: no .deb for $name" >&2; exit 1; }
  version="$(dpkg-deb -f "${debs[0]}" Version)"
  echo "package $name $version"
  version_args+=(--version "$name=$version")
  dpkg-deb -x "${debs[0]}" "$tmp/root"
done

python3 "$repo/scripts/build_lexicon.py" --root "$tmp/root" --out "$out" "${version_args[@]}"

for p in "${version_args[@]}"; do
  [[ "$p" == --version ]] && continue
  name="${p%%=*}" version="${p#*=}"
  if ! grep -qF "$version" "$out/README.md" 2>/dev/null; then
    echo "build-lexicon: note: lexicon/README.md does not mention $name $version" >&2
  fi
done

echo "sizes:"
(cd "$out" && wc -c translations.tsv synonyms-da.tsv && wc -l translations.tsv synonyms-da.tsv)
