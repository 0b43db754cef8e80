"""The declarative profile engine: a YAML profile turns a source record into the
fields of a national report.

A profile (mappings/*.yaml, format in schemas/profile.schema.json and the README)
names, for each target path of the report, where the value comes from (source
paths or a constant), the transforms to apply in order, and what a missing or
bad value means (reject the record, or drop the field with a warning). Loading a
profile checks everything it can up front and reports every problem at once:
unknown transforms (with the valid names), unknown tables, target paths the
national schema does not have.

Not here: the `source` envelope, schema validation and the decision to
quarantine (see `connector.normalize`), HTTP paging (see the portal channel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.errors import ConfigError, ProfileError
from connector.mapping import transforms as T
from connector.mapping.paths import MISSING, get_path, set_path
from connector.mapping.tables import CodeTable, NationalCategories, RegionIndex, read_table_csv
from connector.support.schemas import Problem, load_schema
from connector.support.schemas import problems as schema_problems
from connector.support.yamlfile import read_yaml

_PERSONAL_PREFIX = "complainant"


def _is_empty(value) -> bool:
    return value is MISSING or value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Step:
    transform: T.Transform
    arg: object


@dataclass
class Rule:
    target: str
    sources: tuple[str, ...] = ()
    const: object = MISSING
    default: object = MISSING
    steps: tuple[Step, ...] = ()
    required: bool = False
    on_error: str = "reject"
    raw_to: str | None = None
    each: dict[str, "Rule"] | None = None

    @property
    def personal(self) -> bool:
        return self.target.split(".")[0] == _PERSONAL_PREFIX


@dataclass
class Mapped:
    """What the profile made of one record."""

    fields: dict
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    review: list[dict] = field(default_factory=list)


class _Context:
    """What transforms may use: the time zone and the tables. Also collects fallbacks."""

    def __init__(self, profile: "Profile", tz: ZoneInfo):
        self.tz = tz
        self.regions = profile.regions
        self.categories = profile.categories
        self._tables = profile.tables
        self.fell_back: list[str] = []

    def lookup(self, table: str, value):
        target, fell_back = self._tables[table].lookup(value)
        if fell_back and self._tables[table].review:
            self.fell_back.append(table)
        return target

    def match(self, table: str, text: str):
        target, fell_back = self._tables[table].match(text)
        if fell_back and self._tables[table].review:
            self.fell_back.append(table)
        return target


class Profile:
    """A loaded, checked mapping profile. Build with `Profile.load(path)`."""

    def __init__(self, data: dict, base_dir: Path, name_hint: str = "profile"):
        problems: list[str] = [str(p) for p in schema_problems(data, "profile")]
        if problems:
            raise ProfileError(problems, source=name_hint)
        self.data = data
        self.name: str = data["profile"]
        self.channel: str = data["channel"]
        self.timezone: str | None = data.get("timezone")
        self.source: dict = data.get("source") or {}
        self.regions = RegionIndex.load()
        self.categories = NationalCategories.load()
        self.tables = self._load_tables(data.get("tables") or {}, base_dir, problems)
        self.rules = [self._rule(t, spec, problems) for t, spec in data["fields"].items()]
        if self.timezone:
            _check_zone(self.timezone, "timezone", problems)
        self.status = self._status_map(data.get("status"), problems)
        if problems:
            raise ProfileError(problems, source=name_hint)

    @classmethod
    def load(cls, path: str | Path) -> "Profile":
        path = Path(path)
        return cls(read_yaml(path, interpolate=False) or {}, path.parent, str(path))

    def _status_map(self, spec: dict | None, problems: list[str]):
        from connector.mapping.statusmap import StatusMap

        if spec is None:
            return None
        try:
            tz = ZoneInfo(self.timezone) if self.timezone else None
        except (ZoneInfoNotFoundError, ValueError):
            tz = None
        return StatusMap(spec, tz, problems)

    def personal_sources(self) -> list[str]:
        """Source paths that feed personal fields (complainant.*): what the console masks."""
        return sorted({src for rule in self.rules if rule.personal for src in rule.sources})

    # -- loading ---------------------------------------------------------------

    def _load_tables(
        self, specs: dict, base_dir: Path, problems: list[str]
    ) -> dict[str, CodeTable]:
        tables = {}
        for name, spec in specs.items():
            extra = {k: spec[k] for k in ("fallback", "ignore", "review") if k in spec}
            rules = list(spec.get("rules", []))
            if "rules_file" in spec:
                rules += self._rules_file(
                    base_dir / spec["rules_file"], f"tables.{name}.rules_file", problems
                )
            extra["rules"] = [(rule["any"], rule["value"]) for rule in rules]
            try:
                values = read_table_csv(base_dir / spec["file"]) if "file" in spec else {}
            except (OSError, ValueError) as exc:
                problems.append(f"tables.{name}.file: {exc}")
                values = {}
            tables[name] = CodeTable(name, {**values, **(spec.get("values") or {})}, **extra)
        return tables

    @staticmethod
    def _rules_file(path: Path, where: str, problems: list[str]) -> list[dict]:
        """Keyword rules kept in their own YAML file (a list of {any: [...], value: …})."""
        try:
            rules = read_yaml(path, interpolate=False) or []
        except ConfigError as exc:
            problems.extend(f"{where}: {p}" for p in exc.problems)
            return []
        bad = [
            i
            for i, r in enumerate(rules)
            if not (isinstance(r, dict) and isinstance(r.get("any"), list) and "value" in r)
        ]
        if not isinstance(rules, list) or bad:
            problems.append(
                f"{where}: {path.name} must be a list of {{any: [words], value: …}} (bad items: {bad})"
            )
            return []
        return rules

    def _rule(
        self, target: str, spec: dict, problems: list[str], prefix: str = "fields", schema_root=None
    ) -> Rule:
        where = f"{prefix}.{target}"
        schema_root = schema_root or load_schema("report")
        for path in filter(None, (target, spec.get("raw_to"))):
            if _target_schema(schema_root, path) is None:
                problems.append(f"{where}: the national report has no field '{path}'")
        sources = spec.get("from", ())
        rule = Rule(
            target=target,
            sources=(sources,) if isinstance(sources, str) else tuple(sources),
            const=spec.get("const", MISSING),
            default=spec.get("default", MISSING),
            steps=tuple(self._steps(spec.get("transforms") or [], where, problems)),
            required=bool(spec.get("required", False)),
            on_error=spec.get("on_error", "reject"),
            raw_to=spec.get("raw_to"),
        )
        if "each" in spec:
            item_schema = (_target_schema(schema_root, target) or {}).get("items", {})
            rule.each = {
                t: self._rule(t, s, problems, f"{where}.each", item_schema)
                for t, s in spec["each"].items()
            }
        return rule

    def _steps(self, specs: list, where: str, problems: list[str]):
        for i, spec in enumerate(specs):
            name, arg = (spec, None) if isinstance(spec, str) else next(iter(spec.items()))
            transform = T.REGISTRY.get(name)
            if transform is None:
                problems.append(
                    f"{where}.transforms[{i}]: unknown transform '{name}' (known: {', '.join(T.names())})"
                )
                continue
            if transform.arg == "required" and arg is None:
                problems.append(
                    f"{where}.transforms[{i}]: transform '{name}' needs an argument ({transform.doc})"
                )
            if transform.arg == "none" and arg is not None:
                problems.append(f"{where}.transforms[{i}]: transform '{name}' takes no argument")
            if name in ("table", "keywords") and arg is not None and arg not in self.tables:
                problems.append(
                    f"{where}.transforms[{i}]: unknown table '{arg}' (tables: {', '.join(sorted(self.tables)) or 'none'})"
                )
            yield Step(transform, arg)

    # -- mapping -------------------------------------------------------------------

    def map(self, record: dict, tz: ZoneInfo) -> Mapped:
        out = Mapped(fields={})
        ctx = _Context(self, ZoneInfo(self.timezone) if self.timezone else tz)
        for rule in self.rules:
            self._apply(rule, record, ctx, out, out.fields)
        return out

    def _apply(
        self, rule: Rule, record, ctx: _Context, out: Mapped, target: dict, prefix: str = "$"
    ) -> None:
        path = f"{prefix}.{rule.target}"
        ctx.fell_back.clear()
        raw, source = self._read(rule, record)
        if rule.each is not None and not _is_empty(raw):
            value = self._map_list(rule, raw, ctx, out, path, source)
        else:
            value = self._transform(rule, raw, ctx, out, path, source)
        if value is MISSING:
            return
        if _is_empty(value):
            # A default or constant written in the profile is taken as written, even "".
            written = rule.default if rule.default is not MISSING else rule.const
            if written is MISSING:
                if rule.required:
                    out.problems.append(Problem(path, "is missing or empty", source))
                return
            value = written
        set_path(target, rule.target, value)
        if ctx.fell_back and rule.raw_to:
            set_path(target, rule.raw_to, str(raw))
        if ctx.fell_back:
            out.review.append(
                {
                    "field": path,
                    "reason": f"unknown value, fallback used from table '{ctx.fell_back[-1]}'",
                    "source": source,
                }
            )

    def _read(self, rule: Rule, record):
        if rule.const is not MISSING:
            return rule.const, None
        for source in rule.sources:
            value = get_path(record, source)
            if not _is_empty(value):
                return value, source
        return MISSING, (rule.sources[0] if rule.sources else None)

    def _transform(self, rule: Rule, value, ctx: _Context, out: Mapped, path: str, source):
        """Run the rule's steps; returns the value, or MISSING when a dropped field."""
        for step in rule.steps:
            if _is_empty(value):
                break
            try:
                value = step.transform.fn(value, step.arg, ctx)
            except T.TransformError as exc:
                shown = "the value" if rule.personal else _show(value)
                message = f"{shown} {exc}"
                if rule.on_error == "drop":
                    out.warnings.append(
                        f"{path} left out: {message}"
                        + (f" (source field '{source}')" if source else "")
                    )
                    return MISSING
                out.problems.append(Problem(path, message, source))
                return MISSING
        return None if value is MISSING else value

    def _map_list(self, rule: Rule, raw, ctx: _Context, out: Mapped, path: str, source):
        if not isinstance(raw, list):
            out.problems.append(
                Problem(path, f"is a {type(raw).__name__}, expected a list", source)
            )
            return MISSING
        items = []
        for i, element in enumerate(raw):
            mapped: dict = {}
            before = len(out.problems)
            for sub in rule.each.values():
                self._apply(sub, element, ctx, out, mapped, f"{path}[{i}]")
            if len(out.problems) == before:
                items.append(mapped)
        return items


def _target_schema(schema: dict, target: str):
    node = schema
    for key in target.split("."):
        props = node.get("properties") if isinstance(node, dict) else None
        if not props or key not in props:
            return None
        node = props[key]
        if "$ref" in node:
            node = load_schema("report")["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _check_zone(name: str, where: str, problems: list[str]) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{where}: unknown time zone '{name}'")


def _show(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…'"
