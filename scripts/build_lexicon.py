#!/usr/bin/env python3
"""Build the committed lexicon files from extracted Debian packages.

Called by scripts/build-lexicon.sh, which downloads and extracts the packages
(mythes-da, dict-freedict-dan-eng, dict-freedict-eng-dan) into one root
directory.  Python standard library only.  The output is deterministic: the
same package versions always give the same bytes.

Outputs (in --out):
  translations.tsv   danish<TAB>english, sorted, deduplicated
  synonyms-da.tsv    word<TAB>syn1|syn2|..., sorted by word
  LICENSES/<package>.txt  relevant parts of each package's copyright file
"""

import argparse
import gzip
import os
import re
import sys
import unicodedata

MAX_TRANSLATIONS = 6  # per source word and direction
MAX_SYNONYMS = 8  # per headword
MAX_BROADER = 3  # fallback broader terms for words without synonyms
MAX_BROADER_FANOUT = 100  # ignore broader terms with more narrower terms
MIN_LEN, MAX_LEN = 2, 30

# Hyphen-like characters found in FreeDict ("good‐hearted") mapped to ASCII.
HYPHENS = {"\u2010": "-", "\u2011": "-", "\u00ad": ""}

ENGLISH_PREFIXES = ("to ", "a ", "an ", "the ")
DANISH_PREFIXES = ("at ", "en ", "et ")


# ---------------------------------------------------------------------------
# Normalisation


def _is_letter(ch):
    if "a" <= ch <= "z":
        return True
    if ch < "\u00c0":
        return False
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def normalise(term, prefixes=()):
    """Return the term as one lower-case word, or None if it is not one.

    A word is letters with optional internal single hyphens, 2-30 chars.
    Parenthesised/bracketed annotations are removed; a leading article or
    infinitive marker from `prefixes` is stripped before a single word.
    """
    for k, v in HYPHENS.items():
        term = term.replace(k, v)
    term = re.sub(r"\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|<[^>]*>", " ", term)
    term = unicodedata.normalize("NFC", term).lower()
    term = " ".join(term.split())
    for p in prefixes:
        if term.startswith(p) and " " not in term[len(p):]:
            term = term[len(p):]
            break
    if not (MIN_LEN <= len(term) <= MAX_LEN):
        return None
    if term[0] == "-" or term[-1] == "-" or "--" in term:
        return None
    if not all(_is_letter(c) or c == "-" for c in term):
        return None
    return term


def add_unique(lst, item, limit=None):
    if item is None or item in lst:
        return
    if limit is not None and len(lst) >= limit:
        return
    lst.append(item)


# ---------------------------------------------------------------------------
# MyThes thesaurus


ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "iso8859-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-15": "iso8859-15",
    "iso-8859-15": "iso8859-15",
}


def read_mythes(path):
    """Parse a MyThes .dat file.

    Returns (entries, encoding) where entries is a list of
    (headword, [(item_text, is_narrower), ...] per sense) in file order.
    """
    with open(path, "rb") as f:
        raw = f.read()
    first, _, rest = raw.partition(b"\n")
    declared = first.decode("ascii").strip().lower()
    enc = ENCODINGS.get(declared)
    if enc is None:
        sys.exit(f"unknown MyThes encoding {declared!r} in {path}")
    text = rest.decode(enc)  # strict: a wrong encoding fails loudly
    lines = text.split("\n")
    entries = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        head, sep, count = line.rpartition("|")
        if not sep or not count.strip().isdigit():
            sys.exit(f"{path}: unexpected line {i + 1}: {line!r}")
        senses = []
        for _ in range(int(count)):
            fields = lines[i].split("|")
            i += 1
            # fields[0] is the part of speech (empty in th_da_DK).
            items = []
            for field in fields[1:]:
                narrower = "(underbegreb)" in field
                items.append((field, narrower))
            senses.append(items)
        entries.append((head, senses))
    return entries, declared


def build_synonyms(entries):
    """Headword -> ordered synonym list.

    Order: the headword's own synonyms, first sense first; then words that
    list the headword as their synonym (the relation is symmetric); then,
    only for words that would otherwise have no synonyms at all, up to
    MAX_BROADER broader terms (a headword under which the word is listed
    as "(underbegreb)"), skipping very generic ones.  Narrower terms
    ("(underbegreb)" items) are never used as synonyms.
    """
    own = {}  # word -> synonyms from its own entries
    broader = {}  # word -> headwords listing it as narrower term
    fanout = {}  # headword -> number of narrower terms
    order = []
    for head, senses in entries:
        h = normalise(head)
        if h is None:
            continue
        if h not in own:
            own[h] = []
            order.append(h)
        for items in senses:
            for text, narrower in items:
                w = normalise(text)
                if w is None or w == h:
                    continue
                if narrower:
                    fanout[h] = fanout.get(h, 0) + 1
                    broader.setdefault(w, [])
                    add_unique(broader[w], h)
                else:
                    add_unique(own[h], w)

    reverse = {}
    for h in order:
        for w in own[h]:
            reverse.setdefault(w, [])
            add_unique(reverse[w], h)

    result = {}
    for w in sorted(set(own) | set(reverse) | set(broader)):
        syns = []
        for s in own.get(w, []):
            add_unique(syns, s, MAX_SYNONYMS)
        for s in reverse.get(w, []):
            add_unique(syns, s, MAX_SYNONYMS)
        if not syns:
            for s in broader.get(w, []):
                if fanout.get(s, 0) <= MAX_BROADER_FANOUT:
                    add_unique(syns, s, MAX_BROADER)
        if syns:
            result[w] = syns
    return result


# ---------------------------------------------------------------------------
# FreeDict (dictd format)

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64_number(s):
    n = 0
    for ch in s:
        n = n * 64 + B64.index(ch)
    return n


def read_dictd(base):
    """Parse <base>.index + <base>.dict.dz.

    Returns (entries, info): entries is a list of (headword, [translation
    lines]) in dictionary order, info is the 00databaseinfo text.
    """
    with gzip.open(base + ".dict.dz", "rb") as f:
        data = f.read()
    rows = []
    info = ""
    with open(base + ".index", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            head, off, length = line.split("\t")
            off, length = b64_number(off), b64_number(length)
            body = data[off:off + length].decode("utf-8")
            if head.startswith("00database"):
                if head == "00databaseinfo":
                    info = body
                continue
            rows.append((off, head, body))
    rows.sort()  # dictionary order; homographs keep their order
    entries = []
    for _, head, body in rows:
        lines = body.split("\n")
        # The first line holds the headword, then optional /IPA/ and <pos>.
        # (The .index key is a folded form, e.g. "afroasiat" for "afro‐asiat".)
        m = re.match(r"^(.*?)(?:\s+/[^/]*/)?(?:\s+<[^>]*>)?\s*$", lines[0])
        word = m.group(1).strip()
        if not word:
            sys.exit(f"{base}: entry {head!r} has no headword line")
        entries.append((word, [l for l in lines[1:] if l.strip()]))
    return entries, info


def translation_terms(lines):
    """Yield the translation strings of one entry, first sense first."""
    for line in lines:
        line = re.sub(r"^\s*\d+\.\s*", "", line)
        # Commas/semicolons inside [hints] or (notes) do not separate terms.
        line = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", line)
        parts = [p.strip() for p in re.split(r"[,;]", line)]
        # "the sorting of trash, garbage, or waste": an enumeration inside a
        # phrase, not separate translations.  Drop it back to the phrase start.
        for i in range(len(parts) - 1, -1, -1):
            if i < len(parts) and re.match(r"(or|and|etc)\b", parts[i]):
                start = i
                while start > 0 and len(parts[start].split()) < 3:
                    start -= 1
                del parts[start:i + 1]
        for part in parts:
            if part:
                yield part


def build_translations(dan_eng, eng_dan):
    pairs = set()
    for head, lines in dan_eng:
        da = normalise(head, DANISH_PREFIXES)
        if da is None:
            continue
        kept = []
        for t in translation_terms(lines):
            add_unique(kept, normalise(t, ENGLISH_PREFIXES), MAX_TRANSLATIONS)
        pairs.update((da, en) for en in kept)
    for head, lines in eng_dan:
        en = normalise(head, ENGLISH_PREFIXES)
        if en is None:
            continue
        kept = []
        for t in translation_terms(lines):
            add_unique(kept, normalise(t, DANISH_PREFIXES), MAX_TRANSLATIONS)
        pairs.update((da, en) for da in kept)
    return sorted(pairs)


# ---------------------------------------------------------------------------
# Licences (Debian machine-readable copyright files)


def dep5_paragraphs(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    paras, cur = [], []
    for line in text.split("\n"):
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            paras.append(cur)
            cur = []
    if cur:
        paras.append(cur)
    return paras


def field(para, name):
    for line in para:
        if line.startswith(name + ":"):
            return line[len(name) + 1:].strip()
    return None


def licence_excerpt(path, file_patterns, header_lines):
    """Header paragraph, the Files paragraphs matching file_patterns (and
    debian/*), and the stand-alone License paragraphs they refer to."""
    paras = dep5_paragraphs(path)
    out = [paras[0]]
    wanted = []
    for p in paras[1:]:
        files = field(p, "Files")
        if files is not None and (files in file_patterns or files == "debian/*"):
            out.append(p)
            for name in re.split(r"\s+(?:or|and)\s+", field(p, "License") or ""):
                add_unique(wanted, name.strip().lower())
    for p in paras[1:]:
        if field(p, "Files") is None and p[0].startswith("License:"):
            name = p[0][len("License:"):].strip().lower()
            if name in wanted and len(p) > 1:
                out.append(p)
    body = "\n\n".join("\n".join(p) for p in out)
    return "\n".join(header_lines) + "\n\n" + body + "\n"


def full_licence_text(name):
    """The complete licence text from Debian's base-files, if available."""
    path = "/usr/share/common-licenses/" + name
    rule = "\n" + "=" * 72 + "\n"
    if not os.path.exists(path):
        print(f"warning: {path} not found; licence text not appended",
              file=sys.stderr)
        return rule + f"Complete {name} text: see {path} on Debian systems.\n"
    with open(path, encoding="utf-8") as f:
        return rule + f"Complete {name} text ({path}):\n\n" + f.read()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True, help="dir with extracted packages")
    ap.add_argument("--out", required=True, help="lexicon output dir")
    ap.add_argument("--version", action="append", default=[],
                    help="package=version (for licence headers)")
    args = ap.parse_args()
    versions = dict(v.split("=", 1) for v in args.version)
    root = args.root

    mythes_path = os.path.join(root, "usr/share/mythes/th_da_DK.dat")
    entries, encoding = read_mythes(mythes_path)
    synonyms = build_synonyms(entries)
    dictd = os.path.join(root, "usr/share/dictd")
    dan_eng, info_de = read_dictd(os.path.join(dictd, "freedict-dan-eng"))
    eng_dan, info_ed = read_dictd(os.path.join(dictd, "freedict-eng-dan"))
    pairs = build_translations(dan_eng, eng_dan)

    write(os.path.join(args.out, "translations.tsv"),
          "".join(f"{da}\t{en}\n" for da, en in pairs))
    write(os.path.join(args.out, "synonyms-da.tsv"),
          "".join(f"{w}\t{'|'.join(s)}\n" for w, s in sorted(synonyms.items())))

    doc = os.path.join(root, "usr/share/doc")
    lic = os.path.join(args.out, "LICENSES")
    pkg = "mythes-da"
    write(os.path.join(lic, pkg + ".txt"), licence_excerpt(
        os.path.join(doc, pkg, "copyright"), ["dictionaries/da_DK/*"],
        [f"Excerpt of /usr/share/doc/{pkg}/copyright from the Debian package",
         f"{pkg} {versions.get(pkg, '?')}. The lexicon uses "
         "usr/share/mythes/th_da_DK.dat",
         "(the files dictionaries/da_DK/* below). We use it under MPL-1.1."])
        + full_licence_text("MPL-1.1"))
    for pkg, pair, info in (("dict-freedict-dan-eng", "dan-eng", info_de),
                            ("dict-freedict-eng-dan", "eng-dan", info_ed)):
        text = licence_excerpt(
            os.path.join(doc, pkg, "copyright"), [pair + "/*"],
            [f"Excerpt of /usr/share/doc/{pkg}/copyright from the Debian package",
             f"{pkg} {versions.get(pkg, '?')}, followed by the dictionary's own",
             "database header (00databaseinfo), which states its licence."])
        cc = [p for p in dep5_paragraphs(os.path.join(doc, pkg, "copyright"))
              if p[0].strip().lower() == "license: cc-by-sa-3.0" and len(p) > 20]
        header = info.strip("\n").split("\nThe Project:")[0].rstrip()
        text += ("\n" + "=" * 72 + "\nDictionary header (" + pair + ".dict.dz, "
                 "00databaseinfo, up to 'The Project'):\n\n" + header + "\n")
        if cc:
            text += ("\n" + "=" * 72 + "\nCC-BY-SA-3.0 text as shipped in the "
                     "same copyright file:\n\n" + "\n".join(cc[0]) + "\n")
        write(os.path.join(lic, pkg + ".txt"), text + full_licence_text("GPL-3"))

    n_syn = sum(len(s) for s in synonyms.values())
    print(f"mythes-da thesaurus: encoding {encoding}, {len(entries)} entries")
    print(f"freedict dan-eng: {len(dan_eng)} entries; eng-dan: {len(eng_dan)} entries")
    print(f"translations.tsv: {len(pairs)} pairs, "
          f"{len({d for d, _ in pairs})} Danish / {len({e for _, e in pairs})} English words")
    print(f"synonyms-da.tsv: {len(synonyms)} headwords, {n_syn} synonyms")


if __name__ == "__main__":
    main()
