import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_config_imports_only_the_standard_library():
    tree = ast.parse((ROOT / "config.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    names.discard("__future__")
    assert names and names <= set(sys.stdlib_module_names), names
