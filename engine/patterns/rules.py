"""The rules for patterns, read from config/patterns.toml (or FRONTDOOR_PATTERNS): window, count, radius."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.errors import InvalidSetting
from engine.store.patterns import FEATURE_KINDS

# name -> (type, lowest, highest)
LIMITS: dict[str, tuple[type, float, float]] = {
    "window_days": (int, 1, 3650), "min_children": (int, 2, 1000), "radius_m": (int, 1, 100_000),
    "name_similarity": (float, 0.5, 1.0), "age_tolerance_years": (int, 0, 20), "harm_required": (bool, 0, 1),
    "same_harm": (bool, 0, 1),
}


@dataclass(frozen=True)
class KindRules:
    """The rules for one kind of pattern."""

    window_days: int = 90
    min_children: int = 3
    radius_m: int = 250
    name_similarity: float = 0.85
    age_tolerance_years: int = 2
    harm_required: bool = False
    same_harm: bool = False  # each referral shares a type of harm with the one that brings them together


@dataclass(frozen=True)
class PatternRules:
    """Every kind's rules and the platform spellings counted as one."""

    kinds: dict[str, KindRules] = field(default_factory=lambda: {k: KindRules() for k in FEATURE_KINDS})
    platform_names: dict[str, str] = field(default_factory=dict)

    def of(self, kind: str) -> KindRules:
        """The rules of one kind."""
        return self.kinds[kind]

    @property
    def widest_window_days(self) -> int:
        """The longest window of any kind (how far back anything may still join)."""
        return max(r.window_days for r in self.kinds.values())


def _checked(values: dict[str, Any], where: str, path: Path) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        if name not in LIMITS:
            raise InvalidSetting(f"{path}: [{where}] has an unknown setting '{name}'", setting="FRONTDOOR_PATTERNS")
        kind, low, high = LIMITS[name]
        fine = isinstance(value, bool) if kind is bool else (
            isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
            and (kind is float or float(value).is_integer()))
        if not fine:
            allowed = "true or false" if kind is bool else f"from {low:g} to {high:g}"
            raise InvalidSetting(f"{path}: [{where}] {name} must be {allowed}, not {value!r}",
                                 setting="FRONTDOOR_PATTERNS")
        out[name] = kind(value)
    return out


def parse_rules(text: str, path: Path) -> PatternRules:
    """Rules from TOML text; raises InvalidSetting naming the file and the value."""
    try:
        raw = tomllib.loads(text).get("patterns", {})
    except tomllib.TOMLDecodeError as exc:
        raise InvalidSetting(f"{path} is not valid TOML: {exc}", setting="FRONTDOOR_PATTERNS") from None
    per_kind = {k: raw.pop(k, {}) for k in FEATURE_KINDS}
    names = {str(k).lower(): str(v).lower() for k, v in raw.pop("platform_names", {}).items()}
    base = replace(KindRules(), **_checked(raw, "patterns", path))
    kinds = {k: replace(base, **_checked(v, f"patterns.{k}", path)) for k, v in per_kind.items()}
    return PatternRules(kinds=kinds, platform_names=names)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> PatternRules:
    return parse_rules(Path(path).read_text(encoding="utf-8"), Path(path))


def load_rules(path: Path) -> PatternRules:
    """The rules in ``path`` (read again when the file changes); the built-in defaults when it is missing."""
    if not path.exists():
        return PatternRules()
    return _load(str(path), path.stat().st_mtime)
