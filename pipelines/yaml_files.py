"""Read a configuration YAML file defensively: every failure is one message naming the file.

Config files are small, hand-written text. Anything else is refused before it is parsed or
expanded: binary or non-UTF-8 bytes, files over `MAX_BYTES`, nesting deeper than `MAX_DEPTH`,
aliases that expand to more than `MAX_NODES` nodes (the "billion laughs" anchor bomb, which
PyYAML builds cheaply as shared references but which explodes in every consumer that walks
it), and impossible dates such as 2017-02-30 (PyYAML raises a bare ValueError for those).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 100_000


class YamlFileError(ValueError):
    """The file cannot be read as configuration; the message starts with its path."""


class _Loader(yaml.SafeLoader):
    """SafeLoader whose timestamp errors say where the bad date is."""

    def construct_yaml_timestamp(self, node):  # noqa: D102 - PyYAML hook
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes the document has once every alias is expanded (memoised on shared nodes), and
    raises past MAX_DEPTH; iterative, so deep input cannot exhaust the Python stack."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlFileError(f"nesting deeper than {MAX_DEPTH} levels (line {node.start_mark.line + 1})")
        if id(node) in sizes:
            continue
        children = _children(node)
        if done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_NODES:
                raise YamlFileError(f"expands to more than {MAX_NODES} nodes (anchors and aliases "
                                    f"nested into a bomb?), line {node.start_mark.line + 1}")
            continue
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    return []


def read_yaml(path: Path) -> Any:
    """The parsed document; raises `YamlFileError` (message prefixed with the path) for a file
    that is missing, not text, too big, too deep, a bomb, or not valid YAML."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise YamlFileError(f"{path}: file not found") from None
    except OSError as exc:
        raise YamlFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return _parse(data)
    except YamlFileError as exc:
        raise YamlFileError(f"{path}: {exc}") from None


def _parse(data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise YamlFileError(f"{len(data)} bytes; configuration files are at most {MAX_BYTES}")
    if b"\x00" in data:
        raise YamlFileError("binary file (NUL bytes), not YAML text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"not UTF-8 text (binary file?): byte {exc.start}") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is not None:
            _expanded_size(node)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except RecursionError:
        raise YamlFileError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"not valid YAML: {exc}") from None
