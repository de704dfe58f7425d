"""The small ETIM model the classification tests use (official CSV layout, UTF-16LE, no BOM).

Only EF000008/40/49/07/03, EF005474, EF002169 and the units EU570448/EU570126/EU570073 are real
ETIM codes. Every code with a 9 after the prefix (EF9…, EV9…, EU9…, EC9…) is made up for the
tests, and the class name is the fixture's own: none of them is ETIM data.
Regenerate with ``python tests/classification_fixture.py``.
"""

from __future__ import annotations

from pathlib import Path

from cae_export.formats.etim.release import write_table

FOLDER = Path(__file__).parent / "fixtures" / "etim_model" / "ETIM-9.0-TEST-CSV-METRIC"

FEATURES = [
    ("EF000008", "Width"), ("EF000040", "Height"), ("EF000049", "Depth"), ("EF000007", "Colour"),
    ("EF005474", "Degree of protection (IP)"), ("EF000003", "Mounting method"),
    ("EF002169", "Material"),
    ("EF900001", "Connectable conductor cross section solid-core"),
    ("EF900002", "Connectable conductor cross section multi-wired"),
    ("EF900003", "Ambient temperature during operating"),
    ("EF900004", "Type of electrical connection of main circuit"),
    ("EF900005", "Number of poles (total)"), ("EF900006", "Rated current"),
    ("EF900007", "Rated voltage"), ("EF900008", "With strain relief"), ("EF900009", "Weight"),
]
UNITS = [("EU570448", "millimetre"), ("EU570126", "square millimetre"),
         ("EU570073", "degree Celsius"), ("EU900001", "ampere"), ("EU900002", "volt"),
         ("EU900003", "metre"), ("EU900004", "kilogram")]
VALUES = [("EV900001", "black"), ("EV900002", "IP20"), ("EV900003", "Spring clamp connection"),
          ("EV900004", "Snap mounting"), ("EV900005", "grey"), ("EV900006", "Plastic")]
# class, feature, type, unit: EC001284 has 15 features; EC900001 measures in metre and kilogram
CLASS_FEATURES = [
    ("EC001284", "EF000008", "N", "EU570448"), ("EC001284", "EF000040", "N", "EU570448"),
    ("EC001284", "EF000049", "N", "EU570448"), ("EC001284", "EF000007", "A", ""),
    ("EC001284", "EF005474", "A", ""), ("EC001284", "EF000003", "A", ""),
    ("EC001284", "EF002169", "A", ""), ("EC001284", "EF900001", "R", "EU570126"),
    ("EC001284", "EF900002", "R", "EU570126"), ("EC001284", "EF900003", "R", "EU570073"),
    ("EC001284", "EF900004", "A", ""), ("EC001284", "EF900005", "N", ""),
    ("EC001284", "EF900006", "N", "EU900001"), ("EC001284", "EF900007", "N", "EU900002"),
    ("EC001284", "EF900008", "L", ""),
    ("EC900001", "EF000008", "N", "EU900003"), ("EC900001", "EF900009", "N", "EU900004"),
]
CLASS_VALUES = {("EC001284", "EF000007"): ["EV900001", "EV900005"],
                ("EC001284", "EF005474"): ["EV900002"], ("EC001284", "EF000003"): ["EV900004"],
                ("EC001284", "EF002169"): ["EV900006"], ("EC001284", "EF900004"): ["EV900003"]}


def write_model(folder: Path = FOLDER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "ETIMARTGROUP", ["ARTGROUPID", "GROUPDESC"], [["EG900001", "Test group"]])
    write_table(folder, "ETIMFEATUREGROUP", ["FEATUREGROUPID", "FEATUREGROUPDESC"],
                [["EFG00001", "Test feature group"]])
    write_table(folder, "ETIMARTCLASSSYNONYMMAP", ["ARTCLASSID", "CLASSSYNONYM"],
                [["EC001284", "fixture synonym"]])
    write_table(folder, "ETIMARTCLASS", ["ARTCLASSID", "ARTGROUPID", "ARTCLASSDESC",
                                         "ARTCLASSVERSION"],
                [["EC001284", "EG900001", "Fixture connector class", "3"],
                 ["EC900001", "EG900001", "Fixture class in metres", "1"]])
    write_table(folder, "ETIMFEATURE", ["FEATUREID", "FEATUREGROUPID", "FEATUREDESC"],
                [[code, "EFG00001", name] for code, name in FEATURES])
    write_table(folder, "ETIMUNIT", ["UNITOFMEASID", "UNITDESC"], [list(u) for u in UNITS])
    write_table(folder, "ETIMVALUE", ["VALUEID", "VALUEDESC"], [list(v) for v in VALUES])
    numbers = {}
    rows = []
    for number, (cls, feature, kind, unit) in enumerate(CLASS_FEATURES, start=1):
        numbers[(cls, feature)] = str(number)
        rows.append([str(number), cls, feature, kind, unit, str(number)])
    write_table(folder, "ETIMARTCLASSFEATUREMAP", ["ARTCLASSFEATURENR", "ARTCLASSID", "FEATUREID",
                                                   "FEATURETYPE", "UNITOFMEASID", "SORTNR"], rows)
    value_rows = []
    for key, values in CLASS_VALUES.items():
        for sort, value in enumerate(values, start=1):
            value_rows.append([str(len(value_rows) + 1), numbers[key], value, str(sort)])
    write_table(folder, "ETIMARTCLASSFEATUREVALUEMAP", ["ARTCLASSFEATUREVALUENR",
                                                        "ARTCLASSFEATURENR", "VALUEID", "SORTNR"],
                value_rows)
    return folder


if __name__ == "__main__":
    print(write_model())
