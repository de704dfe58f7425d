"""``cae-export diff OLD NEW``: added, removed and changed items by item number, whatever the
file order, from catalogs or any file ``import`` reads; exit 0 equal, 1 different, 2 errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import yaml
from conftest import CATALOG, REPO

SCHEMA = json.loads((REPO / "templates" / "diff" / "diff.schema.json").read_text())


def changed_copy(tmp_path: Path) -> Path:
    """The bundled catalog with one record changed, one removed and one added."""
    new = tmp_path / "new"
    shutil.copytree(CATALOG, new)
    wago = new / "wago"
    data = yaml.safe_load((wago / "770-1324.yaml").read_text(encoding="utf-8"))
    data["geometry"]["height"]["value"] = 33
    data["mechanical"].pop("coding", None)
    data["commercial"]["packaging_type"] = "box"
    (wago / "770-1324.yaml").write_text(yaml.safe_dump(data, allow_unicode=True,
                                                       sort_keys=False), encoding="utf-8")
    (wago / "2004-407.yaml").unlink()
    added = yaml.safe_load((wago / "770-744_062-000.yaml").read_text(encoding="utf-8"))
    added["item_number"] = "770-9999"
    (wago / "770-9999.yaml").write_text(yaml.safe_dump(added, allow_unicode=True,
                                                       sort_keys=False), encoding="utf-8")
    return new


def test_one_changed_one_removed_one_added(cli, tmp_path: Path) -> None:
    new = changed_copy(tmp_path)
    result = cli("diff", CATALOG, new, "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert [(i["item_number"], i["change"]) for i in document["items"]] == [
        ("2004-407", "removed"), ("770-1324", "changed"), ("770-9999", "added")]
    assert document["summary"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 2}
    fields = {f["path"]: f for f in document["items"][1]["fields"]}
    assert fields["geometry.height.value"]["new"] == 33
    assert "new" not in fields["mechanical.coding"]            # the new record has none
    assert "old" in fields["mechanical.coding"]
    assert fields["commercial.packaging_type"]["new"] == "box"
    assert len(fields) == 3

    text = cli("diff", CATALOG, new)
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert lines[0] == "- 2004-407" and lines[1] == "~ 770-1324"
    assert "    geometry.height.value: 12.9 → 33" in lines
    assert "+ 770-9999" in lines
    assert lines[-1].endswith("1 added, 1 removed, 1 changed, 2 unchanged")


def test_equal_catalogs_in_another_order_and_form(cli, tmp_path: Path) -> None:
    lines = tmp_path / "catalog.jsonl"
    assert cli("convert", CATALOG, lines).returncode == 0
    reordered = tmp_path / "reversed.jsonl"
    reordered.write_text("".join(reversed(lines.read_text(encoding="utf-8").splitlines(True))),
                         encoding="utf-8")
    result = cli("diff", CATALOG, reordered)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("0 added, 0 removed, 0 changed, 4 unchanged")


def test_any_file_import_reads(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("build", "--target", "etim-xchange", "--out", out).returncode == 0
    exported = out / "etim" / "etim-xchange.json"
    imported = tmp_path / "imported"
    assert cli("import", exported, "--out", imported).returncode == 0
    assert cli("diff", exported, imported).returncode == 0
    # the xChange file holds fewer facts than the records it came from: named field by field
    result = cli("diff", CATALOG, exported, "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["summary"]["changed"] == 4 and document["summary"]["added"] == 0


def test_html_page_is_self_contained_and_shows_text(cli, tmp_path: Path) -> None:
    new = changed_copy(tmp_path)
    wago = new / "wago"
    data = yaml.safe_load((wago / "770-1324.yaml").read_text(encoding="utf-8"))
    data["description"]["en"] = "<script>alert(1)</script>"
    (wago / "770-1324.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                        encoding="utf-8")
    page = tmp_path / "diff.html"
    result = cli("diff", CATALOG, new, "--format", "html", "--output", page)
    assert result.returncode == 1, result.stderr
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert "default-src 'none'" in html and "http" not in html.replace("http-equiv", "")
    assert html.count('class="item"') == 3
    assert "1 added, 1 removed, 1 changed, 2 unchanged" in result.stdout


def test_errors_exit_2_naming_the_problem(cli, tmp_path: Path) -> None:
    missing = cli("diff", CATALOG, tmp_path / "nowhere")
    assert missing.returncode == 2 and "nowhere: not found" in missing.stderr
    twice = tmp_path / "twice"
    shutil.copytree(CATALOG, twice)
    shutil.copy(twice / "wago" / "770-1324.yaml", twice / "wago" / "copy.yaml")
    result = cli("diff", CATALOG, twice)
    assert result.returncode == 2
    assert "item number 770-1324 is twice in the new catalog" in result.stderr
    broken = tmp_path / "broken"
    shutil.copytree(CATALOG, broken)
    (broken / "wago" / "770-1324.yaml").write_text("item_number: [\n", encoding="utf-8")
    result = cli("diff", broken, CATALOG)
    assert result.returncode == 2 and "770-1324.yaml" in result.stderr and "YAML" in result.stderr
    assert "Traceback" not in result.stderr
