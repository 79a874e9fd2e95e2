#!/usr/bin/env python3
# Compares two reports field by field (whatever their key order) and
# names every field that differs; exits 1 when any does.
#   fields.py A.json B.json
import json, sys

def walk(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append("%s.%s only in %s" % (path, k, "B" if k not in a else "A"))
            else:
                walk(a[k], b[k], path + "." + k, out)
    elif a != b or type(a) is not type(b):
        out.append("%s: %r != %r" % (path, a, b))

out = []
walk(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), "", out)
for line in out[:20]:
    print("fields.py: " + line.lstrip("."))
sys.exit(1 if out else 0)
