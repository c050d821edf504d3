#!/usr/bin/python3
"""Every graph in graphs/ is valid against graphs/schema.json, and the schema rejects a few
graphs that are wrong in ways it can see. Usage: schema_check.py SOURCE_DIR"""
import pathlib
import sys

import jsonschema
import yaml

root = pathlib.Path(sys.argv[1])
schema = yaml.safe_load((root / "graphs/schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

graphs = sorted((root / "graphs").glob("*.yaml"))
assert graphs, "no graphs found"
for path in graphs:
    errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
    if errors:
        sys.exit(f"{path}: {errors[0].message}")
    print(f"{path.name}: valid")

wrong = {
    "unknown kind": {"nodes": {"a": {"kind": "snik", "op": "print"}}},
    "no op": {"nodes": {"a": {"kind": "sink"}}},
    "concurrency 0": {"nodes": {"a": {"kind": "function", "op": "spin", "concurrency": 0}}},
    "unknown top-level key": {"nodes": {"a": {"kind": "sink", "op": "print"}}, "edge": []},
    "edge without arrow": {"nodes": {"a": {"kind": "sink", "op": "print"}}, "edges": ["a b"]},
    "max_failures not N or P%": {"nodes": {"a": {"kind": "sink", "op": "print"}},
                                 "max_failures": "lots"},
}
for name, graph in wrong.items():
    if validator.is_valid(graph):
        sys.exit(f"the schema accepts a graph with {name}")
print(f"{len(wrong)} wrong graphs rejected")

# Lists and maps are parameters too, where an op takes them; the schema leaves that to validation.
shaped = {"nodes": {"a": {"kind": "function", "op": "an_op", "remove": ["x", "y"],
                          "cases": [{"when": ".a > 1", "to": "b"}], "set": {"x": ".y"}}}}
errors = list(validator.iter_errors(shaped))
if errors:
    sys.exit(f"the schema rejects list and map parameters: {errors[0].message}")
print("list and map parameters accepted")
