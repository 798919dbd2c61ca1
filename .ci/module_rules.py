"""The layering rules of src/: no module imports a handlers.rs from outside its
folder (handlers are leaves), and no two files import each other, directly or
round a longer cycle. Reads `use crate::…`/`super::…` paths and `crate::…` paths
in code, comments and tests left out."""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def module_of(path):
    name = os.path.relpath(path, ROOT)[:-3]
    if name.endswith("/mod") or name == "mod":
        name = name[: -len("mod")].rstrip("/")
    return name.replace("/", "::") if name not in ("lib", "main") else ""


def load():
    files = {}
    for folder, _, names in os.walk(ROOT):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(folder, name)
                text = open(path, encoding="utf-8").read().split("#[cfg(test)]")[0]
                files[module_of(path)] = (path, re.sub(r"//[^\n]*", "", text))
    return files


def graph(files):
    modules = set(files)
    exports = {}
    for module, (_, text) in files.items():
        for sub, names in re.findall(r"pub use (\w+)::\{?([\w, ]+)\}?;", text):
            for name in names.split(","):
                exports[(module, name.strip())] = f"{module}::{sub}" if module else sub

    def resolve(parts):
        for i in range(len(parts), 0, -1):
            name = "::".join(parts[:i])
            if name in modules:
                if i < len(parts) and (name, parts[i]) in exports:
                    return exports[(name, parts[i])]
                return name
        return None

    def absolute(path, current):
        parts = path.split("::")
        if parts[0] == "crate":
            return parts[1:]
        is_folder = files[current][0].endswith("mod.rs")
        base = current.split("::") if current else []
        if not is_folder:
            base = base[:-1]
        while parts and parts[0] == "super":
            parts = parts[1:]
            base = base[:-1]
        return base + parts

    edges = {m: set() for m in modules}
    for module, (_, text) in files.items():
        paths = re.findall(r"(?<![\w:])((?:crate|super)(?:::\w+)+)", text)
        for prefix, items in re.findall(r"use\s+((?:crate|super)(?:::\w+)*)::\{([^}]*)\}", text):
            for item in items.split(","):
                item = item.strip().split(" as ")[0].split("::")[0]
                if item and item != "self":
                    paths.append(f"{prefix}::{item}")
        for path in paths:
            target = resolve(absolute(path, module))
            if target is not None and target != module and not module.startswith(target + "::"):
                edges[module].add(target)
    return edges


def cycles(edges):
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    return found


def main():
    edges = graph(load())
    problems = []
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            if target.endswith("handlers") and not module.startswith(target.rsplit("::", 1)[0]):
                problems.append(f"{module} imports {target}: handlers are leaves")
    for component in cycles(edges):
        problems.append("import cycle: " + " <-> ".join(component))
    for problem in problems:
        print(problem)
    print(f"module rules: {len(edges)} modules, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
