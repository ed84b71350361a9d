#!/usr/bin/env python3
"""Check a Prometheus text exposition (format 0.0.4) the way a scraper reads it.

Usage: admin_metrics_check.py FILE
Prints one line per problem and exits 1 when there is any; prints the samples
as "name{labels} value" lines (labels sorted) on stdout with --samples.
Checked: the line grammar, metric and label names, label value escapes,
values (floats, +Inf, -Inf, NaN), HELP and TYPE before a family's first
sample and at most once each, known types, counters named *_total, no
duplicate series, a family's samples kept together.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)( -?\d+)?$" % NAME)
PAIR = re.compile(r"\s*(%s)=%s\s*(,|$)" % (LABEL, VALUE))
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = PAIR.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError("bad labels {%s}" % text)
        if m.group(1) in labels:
            raise ValueError("label %s twice" % m.group(1))
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def check(lines):
    problems, samples = [], []
    helps, types, seen, done = set(), {}, set(), set()
    current = None
    for n, line in enumerate(lines, 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not re.fullmatch(NAME, name):
                    problems.append("%d: bad metric name %r" % (n, name))
                if name in seen:
                    problems.append("%d: %s for %s after its samples" % (n, parts[1], name))
                if parts[1] == "HELP":
                    if name in helps:
                        problems.append("%d: second HELP for %s" % (n, name))
                    helps.add(name)
                else:
                    kind = parts[3] if len(parts) == 4 else ""
                    if kind not in TYPES:
                        problems.append("%d: unknown type %r" % (n, kind))
                    if name in types:
                        problems.append("%d: second TYPE for %s" % (n, name))
                    types[name] = kind
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append("%d: not a sample line: %r" % (n, line))
            continue
        name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
        try:
            labels = parse_labels(labels_text)
            float(value)
        except ValueError as e:
            problems.append("%d: %s" % (n, e))
            continue
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[: -len(suffix)]
            if name.endswith(suffix) and types.get(base) == "histogram":
                family = base  # a histogram's series share its HELP and TYPE
        if family not in helps or family not in types:
            problems.append("%d: %s has no HELP or TYPE before it" % (n, name))
        if family != name and name.endswith("_bucket") and "le" not in labels:
            problems.append("%d: %s has no le label" % (n, name))
        if types.get(name) == "counter" and not name.endswith("_total"):
            problems.append("%d: counter %s is not named *_total" % (n, name))
        if family != current:
            if family in done:
                problems.append("%d: samples of %s are not together" % (n, family))
            if current is not None:
                done.add(current)
            current = family
        key = name + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels.items())) + "}"
        if key in seen:
            problems.append("%d: %s twice" % (n, key))
        seen.add(key)
        seen.add(name)
        samples.append("%s %s" % (key, value))
    return problems, samples


def main():
    args = [a for a in sys.argv[1:] if a != "--samples"]
    with open(args[0], encoding="utf-8") as f:
        text = f.read()
    if not text.endswith("\n"):
        print("the exposition does not end with a newline")
        return 1
    problems, samples = check(text.split("\n"))
    for p in problems:
        print(p)
    if "--samples" in sys.argv and not problems:
        print("\n".join(samples))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
