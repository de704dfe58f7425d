"""Typed views of a catalog record, generated from ``schemas/record.schema.json`` by
``python -m cae_export.typegen``: do not edit by hand. The data stays plain dicts and lists
(as loaded and schema-checked); these types let code read it by name instead of by path."""

from __future__ import annotations

from typing import Literal, TypedDict

ItemNumber = str


class _ManufacturerRequired(TypedDict):
    name: str
    short_name: str


class Manufacturer(_ManufacturerRequired, total=False):
    street: str
    postal_code: str
    city: str
    phone: str
    fax: str
    email: str
    web: str


Kind = str


class _NoteRequired(TypedDict):
    text: str


class Note(_NoteRequired, total=False):
    title: str


class _RatingRequired(TypedDict):
    standard: str
    quantity: Literal['rated_voltage', 'rated_impulse_voltage', 'rated_current']
    value: float
    unit: Literal['V', 'A']
    label: str


class Rating(_RatingRequired, total=False):
    overvoltage_category: Literal['I', 'II', 'III', 'IV']
    pollution_degree: int
    use_group: str
    condition: str


class Electrical(TypedDict, total=False):
    contact_resistance_note: str
    ratings: list[Rating]


Unit = Literal['mm', 'mm²', 'V', 'A', '°C', 'g', 'N', 'MJ', 'in', '°', 'pcs', 'kg', 'm', 'mΩ']


class QuantityAlt(TypedDict):
    value: float
    unit: Unit


class _QuantityRequired(TypedDict):
    value: float
    unit: Unit


class Quantity(_QuantityRequired, total=False):
    """A number with its unit; `alt` keeps the same fact as the sheet states it in another unit (inch)."""

    approx: bool
    alt: QuantityAlt


class _RangeAltRequired(TypedDict):
    unit: Unit


class RangeAlt(_RangeAltRequired, total=False):
    min: float
    max: float


class _RangeRequired(TypedDict):
    unit: Unit


class Range(_RangeRequired, total=False):
    """A min/max pair; a bound the sheet does not state is absent ("from 1.5 mm²" has only min)."""

    min: float
    max: float
    approx: bool
    alt: RangeAlt


class AwgRange(TypedDict, total=False):
    """AWG sizes; min/max refer to the conductor size, so min is the larger gauge number (20 ... 12 AWG is
    min 20, max 12)."""

    min: int
    max: int


class _ConductorRequired(TypedDict):
    kind: Literal['solid', 'stranded', 'fine_stranded']
    label: str


class Conductor(_ConductorRequired, total=False):
    ferrule: Literal['none', 'insulated', 'uninsulated', 'any']
    push_in: bool
    cross_section: Range
    awg: AwgRange


Measure = Quantity | Range


class Connection(TypedDict, total=False):
    technology: str
    actuation: str
    nominal_cross_section: Quantity
    conductors: list[Conductor]
    strip_length: Measure
    strip_length_note: str
    poles: int
    conductor_entry_angle: Quantity


class ConnectionSection(TypedDict, total=False):
    """Totals for the article and one entry per connection (Connection 1, 2, …)."""

    poles: int
    connection_points: int
    potentials: int
    clamping_units: int
    connection_types: int
    levels: int
    connections: list[Connection]


class _DimensionRequired(TypedDict):
    value: float
    unit: Literal['mm', 'in', 'm']


class Dimension(_DimensionRequired, total=False):
    """A length of the article: more than 0 and at most 100000 in its unit; `alt` keeps the same fact as
    the sheet states it in another unit (inch)."""

    approx: bool
    alt: QuantityAlt


class Geometry(TypedDict, total=False):
    pin_spacing: Dimension
    width: Dimension
    height: Dimension
    depth: Dimension


class _ForceRequired(TypedDict):
    unit: Literal['N']


class Force(_ForceRequired, total=False):
    min: float
    max: float
    approx: bool
    condition: str
    note: str


class _MechanicalMatingCyclesItemRequired(TypedDict):
    cycles: int


class MechanicalMatingCyclesItem(_MechanicalMatingCyclesItemRequired, total=False):
    condition: str


class Mechanical(TypedDict, total=False):
    coding: str
    variable_coding: bool
    anti_rotation: bool
    mating_force: Force
    retention_force: Force
    unmating_force: Force
    mating_cycles: list[MechanicalMatingCyclesItem]
    mounting_type: str
    panel_thickness: Measure
    locking: str
    locking_lever: str
    degree_of_protection: str
    degree_of_protection_note: str
    marking: list[str]
    potential_marking: list[str]
    application: str
    contact_type: str
    connector_connection_type: str
    mismating_protection: bool


class Material(TypedDict, total=False):
    color: str
    insulation_material: str
    material_group: str
    flammability_class: str
    clamping_spring_material: str
    contact_material: str
    contact_plating: str
    fire_load: Quantity
    weight: Quantity
    actuator_color: str
    note: str


class Temperatures(TypedDict, total=False):
    processing: Range
    continuous_operating: Range
    limit: Range
    note: str


class Commercial(TypedDict, total=False):
    packaging_unit: Quantity
    packaging_type: str
    country_of_origin: str
    gtin: str
    customs_tariff_number: str


class _EtimFeatureRequired(TypedDict):
    code: str


class EtimFeature(_EtimFeatureRequired, total=False):
    """One ETIM feature as stated by a source: type A (value = EV code), N (value = number), L (value =
    true/false), R (value = lower, upper = upper bound); or no value with its reason."""

    type: Literal['A', 'N', 'L', 'R']
    value: str | bool
    upper: str
    unit: str
    reason: Literal['MV', 'NA', 'UN']


_ClassificationEtimItemRequired = TypedDict("_ClassificationEtimItemRequired", {
    "release": str,
    "class": str,
})


class ClassificationEtimItem(_ClassificationEtimItemRequired, total=False):
    features: list[EtimFeature]


_ClassificationEclassItemRequired = TypedDict("_ClassificationEclassItemRequired", {
    "class": str,
})


class ClassificationEclassItem(_ClassificationEclassItemRequired, total=False):
    release: str


class Classification(TypedDict, total=False):
    unspsc: str
    etim: list[ClassificationEtimItem]
    eclass: list[ClassificationEclassItem]
    eccn: str


class Compliance(TypedDict, total=False):
    rohs: str


class _ApprovalRequired(TypedDict):
    body: str


class Approval(_ApprovalRequired, total=False):
    group: str
    standard: str
    certificate: str


class _RelatedItemRequired(TypedDict):
    item_number: ItemNumber


class RelatedItem(_RelatedItemRequired, total=False):
    description: str
    kind: Kind
    url: str
    category: str
    group: str


class _DownloadRequired(TypedDict):
    title: str


class Download(_DownloadRequired, total=False):
    section: str
    date: str
    file_type: str
    size: str
    url: str


class _SourceRequired(TypedDict):
    file: str


class Source(_SourceRequired, total=False):
    sha256: str


class _UnmappedRequired(TypedDict):
    line: int
    text: str


class Unmapped(_UnmappedRequired, total=False):
    section: str
    key: str
    reason: str


class Passthrough(TypedDict, total=False):
    """Facts of an imported file that no record field holds, per format, kept so that format's writer
    writes them back. Each block is the format's own data, as its reader documents."""

    eplan: dict[str, object]
    xchange: dict[str, object]
    bmecat: dict[str, object]


class _RecordDataRequired(TypedDict):
    schema_version: Literal[1]
    item_number: ItemNumber
    manufacturer: Manufacturer
    description: dict[str, str]


class RecordData(_RecordDataRequired, total=False):
    """One article as read from a manufacturer's data sheet. Numbers are numbers with explicit units;
    ranges are min/max pairs; anything the parser did not map is kept under `unmapped`."""

    kind: Kind
    url: str
    family: str
    family_description: str
    series: str
    product_group: str
    overview: list[str]
    features: list[str]
    notes: list[Note]
    electrical: Electrical
    connection: ConnectionSection
    geometry: Geometry
    dimension_notes: list[str]
    mechanical: Mechanical
    material: Material
    temperatures: Temperatures
    commercial: Commercial
    classification: Classification
    compliance: Compliance
    approvals: list[Approval]
    counterparts: list[RelatedItem]
    accessories: list[RelatedItem]
    downloads: list[Download]
    installation_notes: list[Note]
    source: Source
    unmapped: list[Unmapped]
    passthrough: Passthrough


__all__ = [
    "Approval",
    "AwgRange",
    "Classification",
    "ClassificationEclassItem",
    "ClassificationEtimItem",
    "Commercial",
    "Compliance",
    "Conductor",
    "Connection",
    "ConnectionSection",
    "Dimension",
    "Download",
    "Electrical",
    "EtimFeature",
    "Force",
    "Geometry",
    "ItemNumber",
    "Kind",
    "Manufacturer",
    "Material",
    "Measure",
    "Mechanical",
    "MechanicalMatingCyclesItem",
    "Note",
    "Passthrough",
    "Quantity",
    "QuantityAlt",
    "Range",
    "RangeAlt",
    "Rating",
    "RecordData",
    "RelatedItem",
    "Source",
    "Temperatures",
    "Unit",
    "Unmapped",
]
