"""Reading YAML the strict way: duplicate keys are refused and YAML 1.1's bare yes/no/on/off are kept as written.

`yaml.safe_load` silently keeps the last of two equal keys (``replicas: 2`` then ``replicas: 200``
plans 200) and reads a bare ``NO`` (Norway) as ``False``. `load_yaml` returns the document and the
problems: one per duplicate key (naming the key and both lines) and one per bare yes/no/on/off
(saying what YAML made of it and to quote it). Such a word is replaced by its text, so checks that
follow do not report the same mistake again in other words. ``true``/``false`` stay booleans.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import yaml

from placement.errors import Problem, missing

#: YAML 1.1 booleans that are not YAML 1.2's true/false (PyYAML's resolver, any listed case).
_WORDS = {"yes": True, "on": True, "no": False, "off": False}


@dataclass(frozen=True, slots=True)
class _Word:
    """A bare yes/no/on/off as written (hashable: it may be a mapping key)."""

    text: str
    line: int


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that records duplicate keys and keeps yes/no/on/off as `_Word`s."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[object, int, int]] = []  # (key, line, line of the first)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        self.flatten_mapping(node)
        seen: dict[Hashable, int] = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable):
                line = key_node.start_mark.line + 1
                if key in seen:
                    self.duplicates.append((key, line, seen[key]))
                else:
                    seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> Any:
        text = str(node.value)
        if text.lower() in _WORDS:
            return _Word(text, node.start_mark.line + 1)
        return super().construct_yaml_bool(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _StrictLoader.construct_yaml_bool)


def load_yaml(text: str) -> tuple[object, list[Problem]]:
    """The document in `text` and its problems (duplicate keys, bare yes/no/on/off).

    Raises `yaml.YAMLError` for text that is not YAML at all (the caller reports where).
    """
    loader = _StrictLoader(text)
    try:
        document = loader.get_single_data()
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    problems = [
        Problem(
            "(file)",
            missing(),
            f"duplicate key {_shown(key)} at line {line} (first at line {first}): "
            "YAML keeps only the last value; keep one of them",
        )
        for key, line, first in loader.duplicates
    ]
    return _unwrap(document, "", problems), problems


def _unwrap(value: object, path: str, problems: list[Problem]) -> object:
    if isinstance(value, _Word):
        meaning = str(_WORDS[value.text.lower()]).lower()
        problems.append(
            Problem(
                path or "(document)",
                missing(),
                f"YAML read {value.text} (line {value.line}) as {meaning}; write '{value.text}' in "
                "quotes (no field of a scenario is a yes/no)",
            )
        )
        return value.text
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            shown = key.text if isinstance(key, _Word) else key
            name = _unwrap(key, f"{path}.{shown}" if path else str(shown), problems)
            out[name] = _unwrap(item, f"{path}.{name}" if path else str(name), problems)
        return out
    if isinstance(value, list):
        return [_unwrap(item, f"{path}[{index}]", problems) for index, item in enumerate(value)]
    return value


def _shown(key: object) -> str:
    return f'"{key.text}"' if isinstance(key, _Word) else f'"{key}"'
