"""Every rule the check knows: its id, severity, level and target, and what it checks.

The rules are the build's own: a target refuses a record with the rule id it breaks
(``RecordError(..., rule="bmecat.length")``), so ``check`` and ``build`` never disagree. The
record-level rules (``record_rules``) and each target's ``checks`` add what a receiver
refuses or a user should know that the writers do not stop at. Levels are the data pools'
three: syntax (the input can be read), schema (it fits the schema), guideline (it follows the
format owner's rules). This table is the README's rules table (a test keeps them alike).
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("error", "warning", "info")  # the order reports list and count them in


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str        # the highest a finding of the rule has: error | warning | info
    level: str           # syntax | schema | guideline
    target: str | None   # the target(s) it is for, as findings name them (None: every target)
    checks: str


# the targets sharing a view share its rules
EPLAN = "eplan, edz"
ETIM = "etim-xlsx, etim-xchange, bmecat"

RULE_LIST: tuple[Rule, ...] = (
    # record level
    Rule("record.syntax", "error", "syntax", None,
         "the record file can be read: UTF-8, YAML or JSON, within the size cap"),
    Rule("record.schema", "error", "schema", None,
         "the record fits the record schema: types, patterns, an item number, a dimension "
         "more than 0, every quantity with its unit"),
    Rule("record.duplicate", "error", "guideline", None,
         "no two records have the same item number"),
    Rule("record.item-number", "warning", "guideline", None,
         "a record file is named after its item number (how `import --update` finds it)"),
    Rule("record.gtin", "error", "guideline", None,
         "a GTIN has 8, 12, 13 or 14 digits and the right GS1 check digit"),
    Rule("record.unit", "error", "guideline", None,
         "a quantity's unit fits what it measures: a current in A, a voltage in V, a weight "
         "in g or kg, a force in N, a cross section in mm², a temperature in °C"),
    Rule("record.value", "error", "guideline", None,
         "weights, forces, cross sections and packaging units are more than 0; a range's "
         "minimum is not above its maximum"),
    Rule("record.unmapped", "warning", "guideline", None,
         "every data-sheet line reached a record field (each line that did not is listed)"),
    # EPLAN and EDZ
    Rule("eplan.poles", "error", "guideline", EPLAN,
         "a plug, socket or terminal block has a pole count for its function templates"),
    Rule("eplan.function-definitions", "warning", "guideline", EPLAN,
         "the kind has EPLAN function definitions in the mapping (else the part has no "
         "function templates)"),
    Rule("eplan.product-group", "warning", "guideline", EPLAN,
         "the product group (P_ARTICLE_PRODUCTGROUP) is set; an info where no subgroup code "
         "is confirmed for the kind"),
    Rule("eplan.dimensions", "warning", "guideline", EPLAN,
         "width, height and depth are given (P_ARTICLE_WIDTH/HEIGHT/DEPTH: EPLAN Pro Panel "
         "places the part by them)"),
    Rule("eplan.field-length", "error", "schema", EPLAN,
         "texts within EPLAN's field lengths; at most 1000 free properties"),
    Rule("eplan.character", "error", "syntax", EPLAN,
         "no character XML 1.0 cannot carry; no line break in a designation"),
    Rule("eplan.language", "error", "guideline", EPLAN,
         "every description language has an EPLAN language code in the mapping"),
    Rule("eplan.unit", "error", "guideline", EPLAN,
         "a value EPLAN takes in a fixed unit can be converted to it"),
    Rule("eplan.schema", "error", "schema", EPLAN,
         "the part fits the parts-management XML schema"),
    Rule("eplan.part-number-clash", "error", "guideline", EPLAN,
         "no two records give the same EPLAN part number (an import would overwrite one)"),
    Rule("edz.package", "error", "schema", "edz",
         "the EDZ package is built and reads back (manifest, part XML, archive)"),
    # ETIM: the workbook, xChange and BMEcat
    Rule("etim.class-missing", "warning", "guideline", ETIM,
         "the record has an ETIM classification (data pools sort products by class)"),
    Rule("etim.class-unknown", "error", "schema", ETIM,
         "with --etim-model: the class is in the model"),
    Rule("etim.feature-not-in-class", "warning", "schema", ETIM,
         "a stated feature belongs to the class in the model (else it is left out)"),
    Rule("etim.value-type", "error", "schema", ETIM,
         "a feature's value has its type: a number for N, min and max for R, true/false "
         "for L, a value code for A"),
    Rule("etim.value-list", "warning", "schema", ETIM,
         "an A feature's value is one of the class's EV codes"),
    Rule("etim.unit", "warning", "schema", ETIM,
         "a feature's unit is the model's and can be converted to it"),
    Rule("etim.completeness", "info", "guideline", ETIM,
         "every feature of the class has a value (the ones without are sent with "
         "ReasonNoValue and listed)"),
    Rule("xchange.schema", "error", "schema", "etim-xchange",
         "the product fits the official xChange 2.0 JSON Schema (ManufacturerProductNumber "
         "≤ 35, GTIN 8 to 14 digits, MinimalProductDescription ≤ 80, …)"),
    Rule("xchange.language", "error", "guideline", "etim-xchange",
         "every description language has an xChange language tag in the mapping"),
    Rule("bmecat.length", "error", "guideline", "bmecat",
         "Open Datacheck's lengths: SUPPLIER_PID ≤ 32, MANUFACTURER_PID and "
         "MANUFACTURER_NAME ≤ 50, DESCRIPTION_SHORT ≤ 150"),
    Rule("bmecat.empty", "error", "guideline", "bmecat",
         "no empty element (data pools refuse them though the XSD takes them)"),
    Rule("bmecat.character", "error", "syntax", "bmecat",
         "no character XML 1.0 cannot carry"),
    Rule("bmecat.language", "error", "guideline", "bmecat",
         "every description language has a BMEcat language code in the mapping"),
    Rule("bmecat.features", "error", "guideline", "bmecat",
         "a price catalog (T_NEW_CATALOG) product has its ETIM classification"),
    Rule("bmecat.price", "error", "guideline", "bmecat",
         "a price catalog (T_NEW_CATALOG) product has a price"),
    Rule("bmecat.schema", "error", "schema", "bmecat",
         "the product fits the official BMEcat ETIM 5.0.1 XSD"),
    # markers
    Rule("markers.poles", "error", "guideline", "markers",
         "the part has a marking or a pole count to print"),
    Rule("markers.text", "error", "guideline", "markers",
         "a text is printable and does not act as a spreadsheet formula (unless "
         "--allow-formula-text)"),
    Rule("markers.font", "error", "guideline", "markers",
         "every character of a text is in the sheet font"),
    Rule("markers.fit", "error", "guideline", "markers",
         "every text fits the card's field at the smallest font size the card allows"),
    # any target
    Rule("import.edited", "warning", "guideline", None,
         "a record edited since its import: the values kept of the source file are replaced "
         "by the record's"),
    Rule("target.refused", "error", "schema", None,
         "any other refusal of a target (a workbook cell, an ECLASS value), named "
         "<target>.refused"),
    Rule("internal.error", "error", "syntax", None,
         "a fault of cae-export itself, not of the data (reported with its traceback)"),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in RULE_LIST}

def rule_of(problem_rule: str | None, target: str | None, internal: bool) -> str:
    """The rule id a finding is reported under: the problem's own, else the refusal of its
    target (``eclass-xlsx.refused``)."""
    if internal:
        return "internal.error"
    if problem_rule:
        return problem_rule
    return f"{target}.refused" if target else "target.refused"


__all__ = ["RULES", "RULE_LIST", "SEVERITIES", "Rule", "rule_of"]
