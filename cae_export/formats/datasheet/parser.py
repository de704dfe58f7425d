"""Data sheet text -> catalog record. Rules from ``rules.yaml``; nothing is dropped
silently: a line the rules do not place lands in the record's ``unmapped`` list."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cae_export.core.problems import Problem, RecordError, quoted, shorten
from cae_export.core.resources import load_yaml_file
from cae_export.formats.datasheet import values
from cae_export.formats.datasheet.text import Line, decode, split_lines
from cae_export.record import order_record

DATA_DIR = Path(__file__).parent


def load_data(name: str) -> Any:
    """One of the parser's rule tables beside this module."""
    return load_yaml_file(DATA_DIR / name)


HEADER = re.compile(r"data\s*sheet\s*\|\s*item\s*number\s*:?\s*(?P<rest>.*)", re.IGNORECASE)
ITEM_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_-]{0,63}")
ITEM_LINE = re.compile(r"item\s*no\.?\s*:?\s*(?P<number>[0-9A-Za-z][0-9A-Za-z./_-]*)\s*(?P<rest>.*)",
                       re.IGNORECASE)
NUMBERED_HEADING = re.compile(r"(?P<numbering>\d+(?:\.\d+)*)\s+(?P<title>[A-Za-z].{2,})")
URL_TEXT = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
POLES_IN_DESCRIPTION = re.compile(r"\b(\d+)-(?:pole|way)\b", re.IGNORECASE)
SERIES = re.compile(r"\b(\d{3,4}) Series\b")
DATE_FORMATS = ("%d.%m.%Y", "%b %d, %Y", "%B %d, %Y", "%Y-%m-%d")
FILE_SIZE = re.compile(r"(?P<type>[A-Za-z0-9]+)\s+(?P<size>\d+(?:[.,]\d+)?\s*[KMG]?B)", re.IGNORECASE)
LINK_LABELS = re.compile(r"(?:\s+(?:URL|Download|↓))+$")


def _fold(text: str) -> str:
    """White space folded, "®" and a trailing ":" dropped; case kept (patterns ignore it)."""
    return re.sub(r"\s+", " ", text.replace("®", "").strip().rstrip(":").strip())


def _norm(text: str) -> str:
    return _fold(text).lower()


@dataclass(frozen=True)
class SectionRule:
    id: str
    pattern: re.Pattern[str]
    major: bool
    container: bool
    group: bool


@dataclass(frozen=True)
class FieldRule:
    pattern: re.Pattern[str]
    field: str
    parse: str
    scope: str


@cache
def rules() -> tuple[list[SectionRule], list[FieldRule], dict[str, re.Pattern[str]],
                     list[tuple[re.Pattern[str], str]], list[re.Pattern[str]]]:
    table = load_data("rules.yaml")
    sections = [SectionRule(s["id"], re.compile(s["match"], re.IGNORECASE), s.get("major", False),
                            s.get("container", False), s.get("group", False))
                for s in table["sections"]]
    fields = [FieldRule(re.compile(f["key"], re.IGNORECASE), f["field"], f["parse"],
                        f.get("scope", "record")) for f in table["fields"]]
    context = {k: re.compile(v, re.IGNORECASE) for k, v in table["context_keys"].items()}
    quantities = [(re.compile(q["match"], re.IGNORECASE), q["quantity"])
                  for q in table["ratings"]["quantities"]]
    boilerplate = [re.compile(p, re.IGNORECASE) for p in table["boilerplate"]]
    return sections, fields, context, quantities, boilerplate


def match_section(title: str) -> tuple[SectionRule, re.Match[str]] | None:
    for rule in rules()[0]:
        found = rule.pattern.fullmatch(_fold(title))
        if found:
            return rule, found
    return None


def classify_kind(description: str) -> str | None:
    first = description.split(";", 1)[0]
    for entry in load_data("kinds.yaml"):
        if re.search(entry["match"], first, re.IGNORECASE):
            return entry["kind"]
    return None


def accessory_category(heading: str) -> str:
    for entry in load_data("accessory_categories.yaml"):
        if re.search(entry["match"], heading, re.IGNORECASE):
            return entry["category"]
    slug = re.sub(r"[^a-z0-9]+", "_", heading.lower()).strip("_")
    return slug if re.match(r"^[a-z]", slug) else f"group_{slug}"


# blocks -------------------------------------------------------------------------------------

@dataclass
class Block:
    kind: str  # "heading", "row", "paragraph"
    lines: list[Line]

    @property
    def number(self) -> int:
        return self.lines[0].number

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines if line.text)

    @property
    def links(self) -> list[str]:
        return [link for line in self.lines for link in line.links]


def is_boilerplate(text: str) -> bool:
    return any(p.fullmatch(text.strip()) for p in rules()[4])


def to_blocks(lines: list[Line]) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[Line] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", paragraph.copy()))
            paragraph.clear()

    for line in lines:
        if not line.text or is_boilerplate(line.text):
            flush()
            continue
        if line.heading_level:
            flush()
            blocks.append(Block("heading", [line]))
        elif line.cells is not None:
            flush()
            blocks.append(Block("row", [line]))
        else:
            paragraph.append(line)
    flush()
    return blocks


def is_address_block(block: Block) -> bool:
    texts = [line.text for line in block.lines]
    return block.kind == "paragraph" and any(t.startswith("Phone:") for t in texts) \
        and any(t.startswith("Email:") for t in texts)


def parse_address(block: Block) -> dict[str, str]:
    texts = [line.text for line in block.lines]
    address: dict[str, str] = {"name": texts[0]}
    for text in texts[1:]:
        postal = re.fullmatch(r"(\d{4,5})\s+(.+)", text)
        if text.startswith("Phone:"):
            for part in text.split("|"):
                key, _, value = part.partition(":")
                if key.strip().lower() in ("phone", "fax") and value.strip():
                    address[key.strip().lower()] = value.strip()
        elif text.startswith("Email:"):
            for part in text.split("|"):
                key, _, value = part.partition(":")
                mapped = {"email": "email", "web": "web"}.get(key.strip().lower())
                if mapped and value.strip():
                    address[mapped] = value.strip()
        elif postal:
            address["postal_code"], address["city"] = postal.group(1), postal.group(2)
        elif "street" not in address:
            address["street"] = text
    return address


# the parser ---------------------------------------------------------------------------------

@dataclass
class SheetParser:
    source: str
    record: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unmapped: list[dict[str, Any]] = field(default_factory=list)
    section: str = "preamble"
    section_title: str = ""
    sub_title: str = ""
    standard: str = ""
    legends: dict[str, dict[str, Any]] = field(default_factory=dict)
    approval_columns: list[str] = field(default_factory=list)
    pending_approval: dict[str, Any] | None = None
    pending_item: dict[str, Any] | None = None
    address: dict[str, str] | None = None
    facts: int = 0
    last_line: int = 0
    numbered_connection: bool = False  # inside "Connection 1", "Connection 2", …
    line: int = 0  # where the block being read starts
    lines_of: dict[str, int] = field(default_factory=dict)  # record path -> sheet line
    ended_unplaced: bool = False  # the last block was text the parser could not place

    # helpers ------------------------------------------------------------------------------
    def error(self, message: str, line: int | None, field_name: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.source, line=line, field=field_name,
                                     record=self.record.get("item_number")))

    def line_of(self, path: str) -> int | None:
        """The sheet line a record path (or the nearest enclosing one) was read from."""
        while path:
            if path in self.lines_of:
                return self.lines_of[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None

    def keep_unmapped(self, block: Block, reason: str, key: str | None = None,
                      value: str | None = None) -> None:
        self.ended_unplaced = True
        entry: dict[str, Any] = {"line": block.number, "section": self.section_title or self.section}
        if key is not None:
            entry["key"] = key
        entry["text"] = value if value is not None else "\n".join(ln.text for ln in block.lines)
        entry["reason"] = reason
        self.unmapped.append(entry)

    def put(self, path: str, value: Any) -> None:
        node = self.record
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        self.set_once(node, parts[-1], value, path)

    def set_once(self, node: dict[str, Any], key: str, value: Any, path: str) -> None:
        """Set a field read from the current line; the same field read again with another
        value (a section or key that appears twice) is an error naming both lines."""
        if key in node and node[key] != value and path in self.lines_of:
            self.error(f"read twice with different values: {described(node[key])} at line "
                       f"{self.lines_of[path]}, {described(value)} here", self.line, path)
            return
        node[key] = value
        self.lines_of.setdefault(path, self.line)

    def append(self, path: str, value: Any) -> None:
        node = self.record
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        items = node.setdefault(parts[-1], [])
        self.lines_of[f"{path}[{len(items)}]"] = self.line
        items.append(value)

    def current_connection(self) -> dict[str, Any]:
        connections = self.record.setdefault("connection", {}).setdefault("connections", [])
        if not connections:
            connections.append({})
        return connections[-1]

    # sections -----------------------------------------------------------------------------
    def enter_heading(self, title: str, block: Block) -> None:
        self.flush_item()
        found = match_section(title)
        container = self.section in {"notes", "approvals", "accessories", "counterparts",
                                     "downloads", "installation"}
        if found and (found[0].major or not container or found[0].id == self.section):
            rule, match = found
            if container and rule.id == self.section and rule.group:
                self.sub_title = title
                return
            self.open_section(rule, match, title)
            return
        if container:
            self.sub_title = note_title(title)
            return
        self.section, self.section_title, self.sub_title = "unknown", title, ""

    def open_section(self, rule: SectionRule, match: re.Match[str], title: str) -> None:
        self.section, self.section_title, self.sub_title = rule.id, title, ""
        self.numbered_connection = rule.id == "connection_n"
        groups = match.groupdict()
        if rule.id == "ratings" and groups.get("standard"):
            self.standard = groups["standard"].strip()
        if rule.id == "connection_n":
            connections = self.record.setdefault("connection", {}).setdefault("connections", [])
            number = int(groups["number"])
            while len(connections) < number:
                connections.append({})
            self.section = "connection"
        if rule.id == "notes":
            self.sub_title = note_title(title) if _norm(title) != "notes" else ""
        if rule.group:
            self.sub_title = title
        self.approval_columns = [] if rule.id != "approvals" else self.approval_columns

    # dispatch -----------------------------------------------------------------------------
    def feed(self, block: Block) -> None:
        self.last_line = block.lines[-1].number
        self.line = block.number
        self.ended_unplaced = False
        text = block.text
        if is_address_block(block):
            self.address = self.address or parse_address(block)
            return
        if "item_number" not in self.record:
            self.read_header(block)
            return
        if self.section in ("counterparts", "accessories") and self.read_item(block):
            return
        if block.kind == "heading":
            self.enter_heading(text, block)
            return
        if block.kind == "row":
            self.read_row(block)
            return
        if block.kind == "paragraph" and self.paragraph_heading(block):
            return
        handler = getattr(self, f"paragraph_{self.section}", None)
        if handler is None or not handler(block):
            self.keep_unmapped(block, "text the parser does not place")

    def paragraph_heading(self, block: Block) -> bool:
        """A one-line plain paragraph that names a known section (plain-text sheets)."""
        if len(block.lines) != 1:
            return False
        text = block.text
        numbered = NUMBERED_HEADING.fullmatch(text)
        title = numbered.group("title") if numbered else text
        if len(title) > 60:
            return False
        if match_section(title) or (numbered and self.section in ("counterparts", "accessories")):
            self.enter_heading(title, block)
            return True
        return False

    # header and preamble ------------------------------------------------------------------
    def read_header(self, block: Block) -> None:
        match = HEADER.fullmatch(block.lines[0].text)
        if not match:
            self.keep_unmapped(block, "text before the data sheet header")
            return
        rest = match.group("rest").strip()
        token = rest.split()[0] if rest else ""
        if not token or not ITEM_NUMBER.fullmatch(token) or not re.search(r"\d", token):
            raise RecordError("data sheet header has no item number", file=self.source,
                              line=block.number, field="item_number")
        self.record["item_number"] = token
        if len(block.lines) > 1:
            self.record["description"] = {"en": " ".join(ln.text for ln in block.lines[1:])}
        self.section = "preamble"

    def paragraph_preamble(self, block: Block) -> bool:
        text = block.text
        if "en" not in self.record.get("description", {}):
            self.record["description"] = {"en": text}
            return True
        if "url" not in self.record and URL_TEXT.fullmatch(text.strip()):
            self.record["url"] = absolute_url(block.links[0] if block.links else text)
            return True
        if _norm(text).startswith("dimensions in"):
            self.section = "dimensions"
            return True
        self.append("overview", text)
        return True

    def paragraph_dimensions(self, block: Block) -> bool:
        if "=" not in block.text:
            self.section = "preamble"
            return self.paragraph_preamble(block)
        for line in block.lines:
            self.append("dimension_notes", line.text)
        return True

    # prose sections -------------------------------------------------------------------------
    def paragraph_item_description(self, block: Block) -> bool:
        for line in block.lines:
            if line.text.startswith(("- ", "• ")):
                self.append("features", line.text[2:].strip())
            else:
                self.append("overview", line.text)
        return True

    def paragraph_notes(self, block: Block) -> bool:
        self._append_note("notes", block)
        return True

    def paragraph_installation(self, block: Block) -> bool:
        self._append_note("installation_notes", block)
        return True

    def _append_note(self, key: str, block: Block) -> None:
        text = "\n".join(line.text for line in block.lines)
        notes = self.record.setdefault(key, [])
        title = self.sub_title
        if notes and notes[-1].get("title", "") == title and notes[-1].get("_open"):
            notes[-1]["_more"].append(text)  # joined once at the end: linear, however long
        else:
            note = {"title": title, "text": text, "_open": True, "_more": []} if title else \
                {"text": text, "_open": True, "_more": []}
            notes.append(note)

    def paragraph_family(self, block: Block) -> bool:
        if "family" not in self.record:
            self.record["family"] = block.text
        else:
            previous = self.record.get("family_description")
            self.record["family_description"] = f"{previous}\n{block.text}" if previous \
                else block.text
        return True

    def paragraph_downloads(self, block: Block) -> bool:
        entry: dict[str, Any] = {}
        if self.sub_title:
            entry["section"] = self.sub_title
        entry["title"] = LINK_LABELS.sub("", block.text)
        self.append("downloads", entry)
        return True

    def paragraph_approvals(self, block: Block) -> bool:
        """Approvals printed as loose lines under a header row (the row itself was empty)."""
        if not self.approval_columns:
            return False
        if self.pending_approval is None:
            self.pending_approval = {"_next": 0}
        columns = [c for c in self.approval_columns if c != "logo"]
        index = self.pending_approval["_next"]
        if index >= len(columns):
            return False
        self.pending_approval[columns[index]] = block.text
        self.pending_approval["_next"] = index + 1
        if index + 1 == len(columns):
            self.finish_approval(self.pending_approval)
            self.pending_approval = None
        return True

    def finish_approval(self, cells: dict[str, Any]) -> None:
        approval: dict[str, Any] = {}
        if self.sub_title:
            approval["group"] = self.sub_title
        for key in ("body", "standard", "certificate"):
            value = cells.get(key, "").strip()
            if value and value != "-":
                approval[key] = value
        if "body" in approval:
            self.append("approvals", approval)
            self.facts += 1

    # rows ---------------------------------------------------------------------------------
    def read_row(self, block: Block) -> None:
        line = block.lines[0]
        cells = line.cells or []
        if self.section == "approvals":
            self.approval_row(block, cells)
            return
        if self.section == "downloads":
            self.download_row(block, cells)
            return
        filled = [c for c in cells if c]
        key = filled[0] if filled else ""
        value = " ".join(filled[1:])
        if not value:
            if match_section(key):
                self.enter_heading(key, block)
            else:
                self.keep_unmapped(block, "key without a value", key=key, value="")
            return
        self.key_value(block, key, value)

    def approval_row(self, block: Block, cells: list[str]) -> None:
        names = {"logo": "logo", "approval": "body", "additional approval text": "standard",
                 "standard": "standard", "certificate name": "certificate",
                 "certificate": "certificate"}
        lowered = [_norm(c) for c in cells]
        if "approval" in lowered:
            self.approval_columns = [names.get(c, c) for c in lowered]
            self.pending_approval = None
            return
        if not self.approval_columns:
            self.keep_unmapped(block, "approval row without a header row")
            return
        row = dict(zip(self.approval_columns, cells, strict=False))
        self.finish_approval(row)

    def download_row(self, block: Block, cells: list[str]) -> None:
        filled = [c for c in cells if c and not is_boilerplate(c)]
        if not filled:
            return
        entry: dict[str, Any] = {}
        if self.sub_title:
            entry["section"] = self.sub_title
        entry["title"] = filled[0]
        for cell in filled[1:]:
            parsed_date = parse_date(cell)
            size = FILE_SIZE.fullmatch(cell)
            if parsed_date:
                entry["date"] = parsed_date
            elif size:
                entry["file_type"] = size.group("type").lower()
                entry["size"] = size.group("size")
            else:
                self.keep_unmapped(block, "download detail the parser does not place",
                                   key=filled[0], value=cell)
        links = [absolute_url(u) for u in block.links if u != "#"]
        if links:
            entry["url"] = links[0]
        self.append("downloads", entry)

    def key_value(self, block: Block, key: str, value: str) -> None:
        _, field_rules, context, quantities, _ = rules()
        nkey = _norm(key)
        if context["standard"].fullmatch(nkey):
            self.standard = value.strip()
            return
        if context["legend"].fullmatch(nkey):
            condition = parse_condition(value)
            if condition:
                self.legends[self.standard] = condition
            return
        for pattern, quantity in quantities:
            match = pattern.match(nkey)
            if match:
                self.rating(block, key, value, quantity, nkey[match.end():])
                return
        for rule in field_rules:
            match = rule.pattern.fullmatch(nkey)
            if match:
                self.apply_field(block, rule, key, value, match.groupdict())
                return
        self.keep_unmapped(block, "key the parser does not map", key=key, value=value)

    def apply_field(self, block: Block, rule: FieldRule, key: str, value: str,
                    groups: dict[str, str]) -> None:
        reader = values.READERS[rule.parse]
        path = rule.field
        if rule.scope == "connection" or (rule.scope == "poles" and self.numbered_connection):
            path = f"connection.connections[{self.connection_index()}].{rule.field}"
        elif rule.scope == "poles":
            path = "connection.poles"
        try:
            parsed = reader(value, label=key, **{k: v for k, v in groups.items() if v})
        except ValueError as exc:
            self.error(str(exc), block.number, path)
            return
        self.facts += 1
        if rule.scope == "connection":
            target = self.current_connection()
            if rule.field == "conductors":
                conductors = target.setdefault("conductors", [])
                self.lines_of[f"{path}[{len(conductors)}]"] = self.line
                conductors.append(parsed)
            else:
                self.set_once(target, rule.field, parsed, path)
        elif rule.scope == "poles":
            if self.numbered_connection:
                self.set_once(self.current_connection(), "poles", parsed, path)
            else:
                self.put("connection.poles", parsed)
        elif rule.field in ("classification.etim", "classification.eclass"):
            self.append(rule.field, parsed)
        else:
            self.put(rule.field, parsed)

    def connection_index(self) -> int:
        """Index of the connection the next per-connection field goes to (the last one)."""
        return max(len(self.record.get("connection", {}).get("connections", [])) - 1, 0)

    def rating(self, block: Block, key: str, value: str, quantity: str, rest: str) -> None:
        try:
            reading = values.electrical(value)
        except ValueError as exc:
            self.error(str(exc), block.number, f"electrical.ratings ({key})")
            return
        expected = "A" if quantity == "rated_current" else "V"
        if reading["unit"] != expected:
            self.error(f"{value!r} is not a {'current' if expected == 'A' else 'voltage'}",
                       block.number, f"electrical.ratings ({key})")
            return
        standard = self.standard or "unspecified"
        explicit = re.search(r"per ((?:ul|csa|iec/en|iec|en)\s*[\d-]*)", key, re.IGNORECASE)
        if explicit:
            standard = explicit.group(1).strip()
        elif re.search(r"\bul\b", rest) and not standard.upper().startswith("UL"):
            standard = "UL"
        elif re.search(r"\bcsa\b", rest) and not standard.upper().startswith("CSA"):
            standard = "CSA"
        entry: dict[str, Any] = {"standard": standard, "quantity": quantity, **reading}
        for paren in re.findall(r"\(([^)]*)\)", key):
            condition = parse_condition(paren)
            if condition:
                entry.update(condition)
            elif re.match(r"use group", paren, re.IGNORECASE):
                entry["use_group"] = paren.split()[-1].upper()
            elif paren.lower().startswith("ex "):
                entry["standard"] = paren.strip()
            else:
                entry["condition"] = paren.strip()
        entry["label"] = key
        self.append("electrical.ratings", entry)
        self.facts += 1

    # related items --------------------------------------------------------------------------
    def read_item(self, block: Block) -> bool:
        text = block.text if block.kind != "row" else " ".join(
            c for c in (block.lines[0].cells or []) if c)
        match = ITEM_LINE.match(text)
        if match:
            self.flush_item()
            item: dict[str, Any] = {"item_number": match.group("number").rstrip(".")}
            rest = URL_TEXT.sub("", match.group("rest")).strip()
            if rest:
                item["description"] = rest
            links = [absolute_url(u) for u in block.links if u != "#"]
            if links:
                item["url"] = links[0]
            self.pending_item = item
            return True
        if self.pending_item is not None and block.kind == "paragraph":
            if URL_TEXT.fullmatch(text.strip()):
                self.pending_item.setdefault("url", absolute_url(
                    block.links[0] if block.links else text.strip()))
                return True
            if "description" not in self.pending_item:
                self.pending_item["description"] = URL_TEXT.sub("", text).strip()
                if block.links:
                    self.pending_item.setdefault("url", absolute_url(block.links[0]))
                return True
        if block.kind == "paragraph" and len(block.lines) == 1 and \
                not match_section(NUMBERED_HEADING.sub(r"\g<title>", text)):
            # a plain line between item lists names the group that follows
            self.enter_heading(NUMBERED_HEADING.sub(r"\g<title>", text), block)
            return True
        return False

    def flush_item(self) -> None:
        item = self.pending_item
        if item is None:
            return
        self.pending_item = None
        if item.get("description"):
            kind = classify_kind(item["description"])
            ordered = {"item_number": item["item_number"], "description": item["description"]}
            if kind:
                ordered["kind"] = kind
        else:
            ordered = {"item_number": item["item_number"]}
        if "url" in item:
            ordered["url"] = item["url"]
        if self.section == "accessories":
            ordered["category"] = accessory_category(self.sub_title or "accessories")
        if self.sub_title:
            ordered["group"] = self.sub_title
        self.append(self.section, ordered)

    # end ----------------------------------------------------------------------------------
    def finish(self, raw: bytes) -> dict[str, Any]:
        self.flush_item()
        if self.pending_approval:
            pending = self.pending_approval
            self.finish_approval(pending)
        for key in ("notes", "installation_notes"):
            for note in self.record.get(key, []):
                note.pop("_open", None)
                note["text"] = "\n".join([note["text"], *note.pop("_more", [])])
        self.apply_legends()
        self.infer_from_description()
        self.set_manufacturer()
        record = self.record
        record["source"] = {"file": self.source.rsplit("/", 1)[-1],
                            "sha256": hashlib.sha256(raw).hexdigest()}
        if self.unmapped:
            record["unmapped"] = self.unmapped
        return order_record(record)

    def apply_legends(self) -> None:
        for rating in self.record.get("electrical", {}).get("ratings", []):
            legend = self.legends.get(rating["standard"])
            if legend and "overvoltage_category" not in rating:
                rating.update(legend)

    def infer_from_description(self) -> None:
        description = self.record.get("description", {}).get("en", "")
        kind = classify_kind(description)
        if kind:
            self.record["kind"] = kind
        connection = self.record.get("connection", {})
        has_poles = "poles" in connection or any(
            "poles" in c for c in connection.get("connections", []))
        poles = POLES_IN_DESCRIPTION.search(description)
        if poles and not has_poles:
            self.put("connection.poles", int(poles.group(1)))
        for text in self.record.get("overview", []):
            series = SERIES.search(text)
            if series:
                self.record["series"] = series.group(1)
                break

    def set_manufacturer(self) -> None:
        known = load_data("manufacturers.yaml")
        host = urlparse(self.record.get("url", "")).hostname or ""
        entry = next((v for domain, v in known.items()
                      if host == domain or host.endswith("." + domain)), None)
        if entry is None:
            raise RecordError("unknown manufacturer: the product URL's web domain is not in "
                              "cae_export/formats/datasheet/manufacturers.yaml", file=self.source,
                              field="manufacturer", record=self.record.get("item_number"))
        manufacturer = {"name": entry["name"], "short_name": entry["short_name"]}
        if self.address:
            manufacturer["name"] = self.address["name"]
            for key in ("street", "postal_code", "city", "phone", "fax", "email", "web"):
                if key in self.address:
                    manufacturer[key] = self.address[key]
        self.record["manufacturer"] = manufacturer


def described(value: Any) -> str:
    """A parsed value as a message shows it: ``40 mm``, ``0.5 ... 4 mm²``, ``'Q'``."""
    if isinstance(value, dict) and "unit" in value and ("value" in value or "min" in value
                                                       or "max" in value):
        amount = value["value"] if "value" in value else \
            f"{value.get('min', '')} ... {value.get('max', '')}".strip()
        return f"{amount} {value['unit']}"
    return quoted(value)


def ends_inside_row(block: Block) -> bool:
    """A sheet cut off mid-table ends in a row whose value is missing."""
    cells = [c for c in (block.lines[0].cells or []) if c] if block.kind == "row" else []
    return len(cells) == 1 and match_section(cells[0]) is None


def note_title(title: str) -> str:
    return title.strip().rstrip(":").strip()


def parse_condition(text: str) -> dict[str, Any] | None:
    match = re.search(r"\(?\s*(IV|I{1,3})\s*/\s*([1-4])\s*\)?", text)
    if not match:
        return None
    return {"overvoltage_category": match.group(1), "pollution_degree": int(match.group(2))}


def parse_date(text: str) -> str | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def absolute_url(url: str) -> str:
    url = url.strip()
    if url.lower().startswith("www."):
        return "https://" + url
    return url


def parse_datasheet(raw: bytes, source: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse one data sheet. Returns the record (None if the sheet failed) and its problems."""
    if not raw.strip():
        raise RecordError("empty file", file=source)
    text = decode(raw, source)
    lines = split_lines(text)
    parser = SheetParser(source)
    blocks = to_blocks(lines)
    for block in blocks:
        parser.feed(block)
    if blocks and ends_inside_row(blocks[-1]):
        raise RecordError("truncated data sheet: the last table row has no value", file=source,
                          line=blocks[-1].number, field=blocks[-1].text)
    if "item_number" not in parser.record:
        raise RecordError("not a data sheet: no 'Data sheet | Item number: …' header found",
                          file=source, line=1)
    if "description" not in parser.record:
        raise RecordError("truncated data sheet: no description line after the header",
                          file=source, line=parser.last_line, field="description")
    if parser.facts == 0:
        raise RecordError("truncated data sheet: no technical data after the header",
                          file=source, line=parser.last_line)
    if blocks and parser.ended_unplaced:
        # a complete sheet ends in something the parser knows (or in boilerplate it drops)
        raise RecordError(f"truncated data sheet: it ends in text the parser does not place "
                          f"({shorten(blocks[-1].text)!r}: cut inside a key or a table?)",
                          file=source, line=blocks[-1].number)
    record = parser.finish(raw)
    if parser.problems:
        return record, parser.problems
    return record, schema_refusals(record, parser)


def schema_refusals(record: dict[str, Any], parser: SheetParser) -> list[Problem]:
    """What the record schema refuses in the parsed sheet, each named with its sheet line."""
    from cae_export.record import schema_problems

    return [Problem(message, file=parser.source, line=parser.line_of(path),
                    record=record.get("item_number"), field=path)
            for path, message in schema_problems(record)]
