"""The import graph of the product — app.py, models/, services/, admin_views/, reports/ — read with `ast`
(imports at module level and inside functions alike; `importlib` calls are not followed), and its rules:

- no import cycles between modules (an import inside a function hides a cycle, it does not remove it;
  imports under `if TYPE_CHECKING:` never run and are left out of this rule only);
- models/ and services/ never import admin_views/ or reports/ (the layers: views and reports sit on the
  services, never the reverse);
- a private module (a name starting with `_` inside a package, e.g. `services/journal/_grid.py`) is imported
  only from inside its package;
- the demo data (services/demo/) is imported by nothing in the product but app.py's `demo-data` command.

`python -m tests.import_graph` prints the problems (exit status 1 if any; `make lint` runs it);
tests/test_import_graph.py asserts the same rules one by one.
"""
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("app.py", "models", "services", "admin_views", "reports")
LOWER_LAYERS = ("models", "services")
UPPER_LAYERS = ("admin_views", "reports")
DEMO = "services.demo"
DEMO_COMMAND = ("app", "demo-data")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the product module imported
    line: int
    function: str | None = None  # the enclosing function (dotted), None at module level
    command: str | None = None  # the CLI command (click's `@….command("name")`) whose function holds the import
    type_checking: bool = False  # under `if TYPE_CHECKING:`

    def __str__(self):
        where = f"in {self.function}()" if self.function else "at module level"
        return f"{self.source}:{self.line} imports {self.target} ({where})"


def product_modules(root=ROOT):
    """{dotted module name: path} of every product module; a package is named by its `__init__.py`."""
    modules = {}
    for entry in PRODUCT:
        path = root / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            parts = list(file.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = file
    return modules


def _resolve(name, modules):
    """The product module `name` stands for: itself, or its longest prefix that is a module; None if external."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _command_name(function):
    """"name" for a function decorated `@<anything>.command("name", …)`, else None."""
    for decorator in function.decorator_list:
        if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "command" and decorator.args
                and isinstance(decorator.args[0], ast.Constant) and isinstance(decorator.args[0].value, str)):
            return decorator.args[0].value
    return None


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Collector(ast.NodeVisitor):
    def __init__(self, module, is_package, modules):
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.modules = modules
        self.functions = []  # [(name, command)]
        self.type_checking = 0
        self.found = []

    def _add(self, target, node):
        if self.found and (self.found[-1].target, self.found[-1].line) == (target, node.lineno):
            return  # `from x import a, b`: one import of x
        command = next((c for _, c in reversed(self.functions) if c), None)
        self.found.append(Import(self.module, target, node.lineno,
                                 ".".join(name for name, _ in self.functions) or None, command,
                                 self.type_checking > 0))

    def visit_FunctionDef(self, node):
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.functions.append((node.name, _command_name(node)))
        for statement in node.body:
            self.visit(statement)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node):
        if _is_type_checking(node.test):
            self.type_checking += 1
            for statement in node.body:
                self.visit(statement)
            self.type_checking -= 1
            for statement in node.orelse:
                self.visit(statement)
        else:
            self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            target = _resolve(alias.name, self.modules)
            if target:
                self._add(target, node)

    def visit_ImportFrom(self, node):
        if node.level:
            base = self.package.split(".")
            base = base[:len(base) - (node.level - 1)]
            base = ".".join(base + ([node.module] if node.module else []))
        else:
            base = node.module
        for alias in node.names:
            target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in self.modules else _resolve(base, self.modules)
            if target:
                self._add(target, node)


def imports(root=ROOT):
    """Every import of a product module by a product module, in file and line order."""
    modules = product_modules(root)
    found = []
    for module, path in modules.items():
        collector = _Collector(module, path.name == "__init__.py", modules)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found.extend(collector.found)
    return found


def _within(module, package):
    return module == package or module.startswith(package + ".")


def _graph(edges):
    graph = {}
    for edge in edges:
        if not edge.type_checking and edge.source != edge.target:
            graph.setdefault(edge.source, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    return graph


def _components(graph):
    """Tarjan's strongly connected components of more than one module, each sorted, in sorted order."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(result)


def _shortest_cycle(graph, component):
    """A shortest cycle through the component's first module: [m0, m1, …, m0]."""
    start, members = component[0], set(component)
    paths, frontier = {start: [start]}, [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    return paths[node] + [start]
                if nxt not in paths:
                    paths[nxt] = paths[node] + [nxt]
                    following.append(nxt)
        frontier = following
    return [start]


def cycles(edges=None):
    """The import cycles: [(the modules of a strongly connected component, a shortest cycle through it, the
    imports along that cycle)]."""
    edges = imports() if edges is None else edges
    graph = _graph(edges)
    result = []
    for component in _components(graph):
        cycle = _shortest_cycle(graph, component)
        steps = [next(e for e in edges if e.source == a and e.target == b and not e.type_checking)
                 for a, b in zip(cycle, cycle[1:])]
        result.append((component, cycle, steps))
    return result


def layer_violations(edges=None):
    """models/ or services/ importing admin_views/ or reports/."""
    edges = imports() if edges is None else edges
    return [e for e in edges if any(_within(e.source, low) for low in LOWER_LAYERS)
            and any(_within(e.target, up) for up in UPPER_LAYERS)]


def private_violations(edges=None):
    """A private module (a component after the top package starting with `_`) imported from outside the package
    that holds it."""
    edges = imports() if edges is None else edges
    bad = []
    for e in edges:
        parts = e.target.split(".")
        for depth in range(1, len(parts)):
            if parts[depth].startswith("_") and not _within(e.source, ".".join(parts[:depth])):
                bad.append(e)
                break
    return bad


def demo_violations(edges=None):
    """The demo data imported by the product anywhere but from app.py's `demo-data` command."""
    edges = imports() if edges is None else edges
    return [e for e in edges if _within(e.target, DEMO) and not _within(e.source, DEMO)
            and (e.source, e.command) != DEMO_COMMAND]


def report(edges=None):
    """The problems as lines of text, empty if none."""
    edges = imports() if edges is None else edges
    lines = []
    found = cycles(edges)
    if found:
        lines.append(f"Import cycles ({len(found)}):")
        for component, cycle, steps in found:
            lines.append(f"  {' -> '.join(cycle)}" + (f"   (component of {len(component)}: {', '.join(component)})"
                                                       if len(component) > len(cycle) - 1 else ""))
            lines.extend(f"      {step}" for step in steps)
    for title, bad in (("models/ or services/ importing admin_views/ or reports/", layer_violations(edges)),
                       ("private modules imported from outside their package", private_violations(edges)),
                       ("the demo data imported outside the demo-data command", demo_violations(edges))):
        if bad:
            lines.append(f"{title} ({len(bad)}):")
            lines.extend(f"  {e}" for e in bad)
    return lines


def main():
    edges = imports()
    lines = report(edges)
    modules = len(product_modules())
    print("\n".join(lines) if lines else f"import graph: {modules} modules, {len(edges)} imports, no problems")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
