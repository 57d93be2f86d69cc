#!/usr/bin/env python3
"""Judged passages of Reuters-21578 for dateline's entity linker (issue 12, item 4).

Reads the stories from ../shared/data/reuters-21578/reut2-*.sgm (never copied into the
repository), finds every case-sensitive, whole-word occurrence of the ambiguous names in FORMS in
each story's TITLE and BODY, draws a fixed sample of them, and prints their passages to the
terminal for labelling. Only ids, offsets and labels are ever written to files.

    python3 bench/linking-judged/passages.py                 # the sample's passages, with labels
    python3 bench/linking-judged/passages.py --all           # every occurrence's passage
    python3 bench/linking-judged/passages.py --list          # the sample as TSV rows, no text
    python3 bench/linking-judged/passages.py --check         # labels.tsv matches the sample
    python3 bench/linking-judged/passages.py --counts        # counts per form and per answer

Text extraction (bench/linking-judged/linking_judged.rs does exactly the same, and checks every offset):

  1. Each file is read as Latin-1 (all five files of the subset are ASCII in practice).
  2. A story is the text between `<REUTERS ...NEWID="n"...>` and the next `</REUTERS>`.
  3. A field (TITLE, BODY) is the text between the first `<TITLE>` and the next `</TITLE>`
     (`<BODY>` ... `</BODY>`) of that story; a story without the tag has no such field.
  4. In a field, in one left-to-right pass: `&lt;` -> `<`, `&gt;` -> `>`, `&amp;` -> `&`, and a
     decimal character reference `&#N;` (the control characters &#2;, &#3;, &#5;, &#22;, ...)
     is removed. Nothing else changes: line breaks and spaces stay as they are.
  5. An offset is the index of the occurrence's first character in that field's text (Python
     string index; since the text is ASCII it is also the byte offset).

Whole word, as dateline's linker: the character before and the one after the occurrence must not
be a letter, a digit or `_` ("Georgia-Pacific" and "Georgia's" contain the word "Georgia").
"""

import argparse
import collections
import glob
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "reuters-21578"))
LABELS = os.path.join(HERE, "labels.tsv")

# The ambiguous names probed. Each occurrence of one of them is labelled with the entity it
# names (possibly one whose longer name contains it: "New Jersey", "District of Columbia"), or
# none.
FORMS = [
    "Georgia", "Washington", "Jordan", "Turkey", "Jersey", "Chad", "Columbia", "Victoria",
    "Wales", "Guinea", "Mexico", "Santa Fe", "Houston", "Phoenix", "Cleveland", "Delaware",
    "Lincoln", "Hamilton",
]
# At most this many sampled occurrences per form (all of them when there are fewer).
CAP = 15
CAPS = {"Washington": 40, "Georgia": 24, "Jersey": 20}
WINDOW = 100
FIELDS = ("TITLE", "BODY")

_REF = re.compile(r"&(lt|gt|amp|#[0-9]+);")
_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'\bNEWID="([0-9]+)"')


def unescape(raw):
    """Step 4 of the extraction."""
    return _REF.sub(lambda m: {"lt": "<", "gt": ">", "amp": "&"}.get(m.group(1), ""), raw)


def field(story, name):
    start = story.find("<%s>" % name)
    if start < 0:
        return None
    start += len(name) + 2
    end = story.find("</%s>" % name, start)
    if end < 0:
        return None
    return unescape(story[start:end])


def read_stories(data_dir):
    """Yields (newid, {field: text}) in file order (which is NEWID order)."""
    files = sorted(glob.glob(os.path.join(data_dir, "reut2-*.sgm")))
    if not files:
        sys.exit("no reut2-*.sgm in %s (pass --data)" % data_dir)
    for path in files:
        with open(path, encoding="latin-1") as f:
            content = f.read()
        for m in _STORY.finditer(content):
            newid = int(_NEWID.search(m.group(1)).group(1))
            fields = {}
            for name in FIELDS:
                text = field(m.group(2), name)
                if text is not None:
                    fields[name] = text
            yield newid, fields


def is_word(c):
    return c.isalnum() or c == "_"


def find_whole(text, form):
    start = 0
    while True:
        i = text.find(form, start)
        if i < 0:
            return
        end = i + len(form)
        if (i == 0 or not is_word(text[i - 1])) and (end == len(text) or not is_word(text[end])):
            yield i
        start = i + 1


def occurrences(stories):
    """Every occurrence: (form, newid, field, offset, field text), by form, then NEWID order."""
    found = collections.defaultdict(list)
    for newid, fields in stories:
        for name in FIELDS:
            text = fields.get(name)
            if text is None:
                continue
            for form in FORMS:
                for offset in find_whole(text, form):
                    found[form].append((form, newid, name, offset, text))
    return found


def window(text, offset, form, width=WINDOW):
    return text[max(0, offset - width):offset + len(form) + width]


_CAP_WORD = re.compile(r"[A-Z][\w.&'-]*")


def context_key(text, offset, form):
    """The capitalised word right before the occurrence, with what joins them (" ", ", ",
    " of ", " of the "), and what follows it: a capitalised word, a hyphenated continuation
    ("-Pacific") or a comma and a capitalised word (", D.C."). E.g. ("New ", "") or ("",
    " Post"). Occurrences with the same key are likely the same kind of use, so the sample takes
    one of each key before a second of any."""
    m = re.search(r"([A-Z][\w.&'-]*)( |, | of | of the )$", text[:offset])
    prev = m.group(1) + m.group(2) if m else ""
    m = re.match(r"(-\w+|,? [A-Z][\w.&'-]*)", text[offset + len(form):])
    nxt = m.group(1) if m else ""
    return (prev, nxt)


def shuffle_key(occ):
    form, newid, name, offset, _ = occ
    return hashlib.sha256(("%d/%s/%d/%s" % (newid, name, offset, form)).encode()).hexdigest()


def sample(found):
    """The fixed sample: per form, drop an occurrence whose passage repeats an earlier one word
    for word (Reuters repeats stories), group the rest by context key, and take them round-robin
    over the keys (keys in order of first appearance; within a key, in the order of a hash of
    "newid/field/offset/form", a fixed shuffle that spreads them over the stories) up to the
    form's cap. Deterministic: the same files always give the same sample."""
    chosen = []
    for form in FORMS:
        seen = set()
        groups = collections.OrderedDict()
        for occ in found.get(form, []):
            _, newid, name, offset, text = occ
            passage = window(text, offset, form)
            if passage in seen:
                continue
            seen.add(passage)
            groups.setdefault(context_key(text, offset, form), []).append(occ)
        for group in groups.values():
            group.sort(key=shuffle_key)
        cap = CAPS.get(form, CAP)
        picked = []
        depth = 0
        while len(picked) < cap and any(len(g) > depth for g in groups.values()):
            for group in groups.values():
                if depth < len(group) and len(picked) < cap:
                    picked.append(group[depth])
            depth += 1
        picked.sort(key=lambda o: (o[1], FIELDS.index(o[2]), o[3]))
        chosen.extend(picked)
    return chosen


def read_labels(path=LABELS):
    labels = {}
    if not os.path.exists(path):
        return labels
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("newid\t"):
                continue
            cols = line.split("\t")
            newid, name, offset, form, answer = cols[:5]
            why = cols[5] if len(cols) > 5 else ""
            labels[(int(newid), name, int(offset), form)] = (answer, why)
    return labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("REUTERS_DIR", DEFAULT_DATA))
    ap.add_argument("--all", action="store_true", help="every occurrence, not only the sample")
    ap.add_argument("--list", action="store_true", help="the sample as TSV rows (no text)")
    ap.add_argument("--check", action="store_true", help="labels.tsv covers exactly the sample")
    ap.add_argument("--counts", action="store_true", help="counts per form and per answer")
    ap.add_argument("--form", action="append", help="only these forms (repeatable)")
    ap.add_argument("--width", type=int, default=WINDOW, help="passage half-width, characters")
    args = ap.parse_args()

    found = occurrences(read_stories(args.data))
    chosen = sample(found)
    labels = read_labels()

    if args.list:
        print("newid\tfield\toffset\tform")
        for form, newid, name, offset, _ in chosen:
            print("%d\t%s\t%d\t%s" % (newid, name, offset, form))
        return
    if args.check or args.counts:
        keys = {(o[1], o[2], o[3], o[0]) for o in chosen}
        texts = {(o[1], o[2]): o[4] for forms in found.values() for o in forms}
        bad = 0
        for key in labels:
            newid, name, offset, form = key
            text = texts.get((newid, name), "")
            if text[offset:offset + len(form)] != form:
                print("label %s: the form is not at that offset" % (key,))
                bad += 1
            elif key not in keys:
                print("label %s: not in the sample" % (key,))
                bad += 1
        for key in sorted(keys - set(labels)):
            print("sample %s: not labelled" % (key,))
            bad += 1
        total = sum(len(v) for v in found.values())
        print("%d occurrences of %d forms; %d sampled; %d labelled; %d problems"
              % (total, len(FORMS), len(chosen), len(labels), bad))
        if args.counts:
            per_form = collections.Counter(k[3] for k in labels)
            print("\n| form | occurrences | labelled | answers |\n|---|---:|---:|---|")
            for form in FORMS:
                answers = collections.Counter(a for k, (a, _) in labels.items() if k[3] == form)
                print("| %s | %d | %d | %s |" % (
                    form, len(found.get(form, [])), per_form[form],
                    ", ".join("%s %d" % kv for kv in sorted(answers.items(), key=lambda kv: (-kv[1], kv[0])))))
            print("\n| answer | labelled |\n|---|---:|")
            for answer, n in sorted(collections.Counter(a for a, _ in labels.values()).items(),
                                    key=lambda kv: (-kv[1], kv[0])):
                print("| %s | %d |" % (answer, n))
            print("\n| why | labelled |\n|---|---:|")
            for why, n in sorted(collections.Counter(w for _, w in labels.values()).items(),
                                 key=lambda kv: (-kv[1], kv[0])):
                print("| %s | %d |" % (why, n))
        sys.exit(1 if bad else 0)

    rows = [o for forms in found.values() for o in forms] if args.all else chosen
    if args.form:
        rows = [o for o in rows if o[0] in args.form]
    # Passages go to the terminal only: this is Reuters text, research use only.
    for form, newid, name, offset, text in rows:
        label = labels.get((newid, name, offset, form))
        passage = window(text, offset, form, args.width)
        start = max(0, offset - args.width)
        i = offset - start
        shown = (passage[:i] + "[[" + form + "]]" + passage[i + len(form):]).replace("\n", " ")
        print("%5d %-5s %5d %-10s %-28s %s" % (
            newid, name, offset, form, "%s/%s" % label if label else "-", shown))


if __name__ == "__main__":
    main()
