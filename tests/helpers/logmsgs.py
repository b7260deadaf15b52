#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""logmsgs: the messages the programs log, from the sources, and the
DIAGNOSTICS entries of the man pages, each in one comparable form: a
printf conversion (source) or an italic word (page) is "*".
  logmsgs.py src TOP      FILE<TAB>LEVEL<TAB>FORM, one a message; LEVEL
                          err, warning, notice or info; a message that is
                          only "%s" (its text is made elsewhere) is left out
  logmsgs.py man PAGE     FORM, one a .TP tag of DIAGNOSTICS
  logmsgs.py check TOP    both ways, one line a problem, exit 1 if any:
                          every error and warning in the page of each
                          program that logs it (PAGES), and every
                          DIAGNOSTICS entry a message of the sources
Used by tests/manpages.bats."""
import os
import re
import sys

CALL = re.compile(r'\blog_(error|warning)\s*\(|'
                  r'\blog_msg\s*\(\s*LOG_(ERR|WARNING|NOTICE|INFO)\s*,[^,]*,')
LITERAL = re.compile(r'\s*"((?:\\.|[^"\\])*)"')
CONV = re.compile(r'%[-+ #0-9.*]*(?:hh|h|ll|l|z|j|t)?[diouxXscp]')
LEVEL = {"error": "err", "warning": "warning", "ERR": "err",
         "WARNING": "warning", "NOTICE": "notice", "INFO": "info"}


def squeeze(s):
    return re.sub(r"\*+", "*", s).strip()


def sources(top):
    out = []
    for d in (".", "common/sys", "common/tls", "common/proto"):
        for n in sorted(os.listdir(os.path.join(top, d))):
            if n.endswith(".c"):
                out.append(os.path.normpath(os.path.join(d, n)))
    return out


def src(top, out=None):
    for path in sources(top):
        with open(os.path.join(top, path), encoding="utf-8") as f:
            text = f.read()
        for m in CALL.finditer(text):
            level = LEVEL[m.group(1) or m.group(2)]
            pos, parts = m.end(), []
            while True:
                lit = LITERAL.match(text, pos)
                if not lit:
                    break
                parts.append(lit.group(1))
                pos = lit.end()
            fmt = "".join(parts)
            if not fmt or fmt == "%s":
                continue
            fmt = fmt.replace('\\"', '"').replace("%%", "%")
            row = (path, level, squeeze(CONV.sub('*', fmt)))
            if out is None:
                print("\t".join(row))
            else:
                out.append(row)


def man(page, out=None):
    with open(page, encoding="utf-8") as f:
        # A line that ends in \c goes on in the next one.
        lines = f.read().replace("\\c\n", "").splitlines()
    inside = False
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            inside = line.split(None, 1)[1].strip('"') == "DIAGNOSTICS"
            continue
        if inside and line.startswith((".TP", ".TQ")) and i + 1 < len(lines):
            tag = lines[i + 1]
            # An italic run is a placeholder; then the other fonts go.
            tag = re.sub(r"\\fI.*?(?=\\f[BRP]|$)", "*", tag)
            tag = re.sub(r"\\f[BRPI]", "", tag)
            tag = tag.replace("\\-", "-").replace("\\(aq", "'") \
                     .replace("\\(dq", '"').replace("\\e", "\\").replace("\\&", "")
            if out is None:
                print(squeeze(tag))
            else:
                out.append(squeeze(tag))


PROGRAMS = ("daytime-tcp", "daytime-udp", "sntp-udp", "nts-ke-tcp")
# The pages a source file's errors and warnings must be in: a program's
# own file, the code only some programs run; any other common/ file in
# one page at least (which depends on how the program is started).
PAGES = {
    "common/sys/daytimeprog.c": ("daytime-tcp", "daytime-udp"),
    "common/sys/state.c": ("daytime-udp", "sntp-udp", "nts-ke-tcp"),
    "common/tls/tls.c": ("nts-ke-tcp",),
    "common/tls/tlsserve.c": ("nts-ke-tcp",),
}


def check(top):
    rows, pages, bad = [], {}, []
    src(top, rows)
    for p in PROGRAMS:
        pages[p] = []
        man(os.path.join(top, "man", p + ".8"), pages[p])
    forms = {r[2] for r in rows}
    for path, level, form in rows:
        if level not in ("err", "warning"):
            continue
        own = os.path.splitext(path)[0]
        want = PAGES.get(path, (own,) if own in PROGRAMS else None)
        if want is None:
            if not any(form in pages[p] for p in PROGRAMS):
                bad.append(f"{path}: {level} \"{form}\" is in no page's DIAGNOSTICS")
            continue
        for p in want:
            if form not in pages[p]:
                bad.append(f"{path}: {level} \"{form}\" is not in {p}.8 DIAGNOSTICS")
    for p in PROGRAMS:
        for form in pages[p]:
            if form not in forms:
                bad.append(f"{p}.8: DIAGNOSTICS \"{form}\" is logged nowhere")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit({"src": src, "man": man, "check": check}[sys.argv[1]](sys.argv[2]) or 0)
