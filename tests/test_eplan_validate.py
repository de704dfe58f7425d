"""``cae-export validate`` on files the tool wrote and on files it did not."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import py7zr
import pytest

from cae_export.formats.eplan.edz import edz_errors
from cae_export.formats.eplan.xml import document_errors
from tests.conftest import CATALOG, REPO, run_cli

GOLDEN = REPO / "tests" / "golden" / "eplan"


@pytest.fixture(scope="module")
def edz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("edz")
    assert run_cli("build", CATALOG, "--out", out, "--target", "edz").returncode == 0
    return out / "edz" / "WAGO.770-1324.edz"


def test_valid_files_pass(edz: Path) -> None:
    result = run_cli("validate", GOLDEN / "parts.xml", edz)
    assert result.returncode == 0, result.stderr
    assert "2 of 2 files valid" in result.stdout


def test_schema_error_names_part_and_attribute(tmp_path: Path) -> None:
    text = (GOLDEN / "parts.xml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text(text.replace('P_ARTICLE_WIDTH="45.5"', 'P_ARTICLE_WIDTH="45,5"'),
                   encoding="utf-8")
    result = run_cli("validate", bad)
    assert result.returncode == 1
    assert "part WAGO.770-744_062-000" in result.stderr
    assert "P_ARTICLE_WIDTH" in result.stderr and "Traceback" not in result.stderr


def test_third_party_file_with_other_eplan_records(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<partsmanagement count="1" type="Eplan.PartsManagement" build="1234">'
        '<part P_ARTICLE_PARTNR="HAR.09330242616" P_ARTICLE_DESCR1="de_DE@Stecker;en_US@Plug;"'
        ' P_ARTICLE_TYPE_OF_MOUNTING="2"><variant P_ARTICLE_VARIANT="1">'
        '<functiontemplate pos="1" connectionDesignation="1" functiondefid="5"/></variant></part>'
        '<terminal P_PART_TERMINAL_NAME="X"><terminalPosition name="1" xpos="0"/></terminal>'
        '</partsmanagement>', encoding="utf-8")
    assert document_errors(path) == []


@pytest.mark.parametrize("snippet, expected", [
    ('<part P_ARTICLE_PARTNR="A"/>', "variant"),  # a part needs a variant
    ('<part P_ARTICLE_PARTNR="A" P_ARTICLE_DESCR1="Plug"><variant/></part>', "DESCR1"),
    ('<part P_ARTICLE_PARTNR="A"><variant/></part><part P_ARTICLE_PARTNR="A"><variant/></part>',
     "unique"),
    ('<part P_ARTICLE_PARTNR="A"><freeproperty pos="1" '
     'P_ARTICLE_FREE_DATA_DESCRIPTION="en_US@A description over 25 chars;"/><variant/></part>',
     "DESCRIPTION"),
])
def test_schema_refuses(tmp_path: Path, snippet: str, expected: str) -> None:
    path = tmp_path / "p.xml"
    path.write_text(f"<partsmanagement>{snippet}</partsmanagement>", encoding="utf-8")
    errors = document_errors(path)
    assert errors and expected.lower() in " ".join(errors).lower()


def test_entities_are_not_resolved(tmp_path: Path) -> None:
    path = tmp_path / "xxe.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    '<partsmanagement><part P_ARTICLE_PARTNR="&e;"><variant/></part>'
                    '</partsmanagement>', encoding="utf-8")
    result = run_cli("validate", path)
    assert result.returncode == 1 and "root:" not in result.stdout + result.stderr


def test_wrong_root_and_garbage(tmp_path: Path) -> None:
    root = tmp_path / "root.xml"
    root.write_text('<part P_ARTICLE_PARTNR="A"><variant/></part>', encoding="utf-8")
    assert "expected <partsmanagement>" in document_errors(root)[0]
    garbage = tmp_path / "garbage.edz"
    garbage.write_bytes(b"not an archive")
    result = run_cli("validate", garbage, tmp_path / "missing.xml")
    assert result.returncode == 1 and "0 of 2 files valid" in result.stdout


def _zip_edz(path: Path, entries: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)


def test_zip_edz_is_accepted_and_manifest_checked(tmp_path: Path, edz: Path) -> None:
    with py7zr.SevenZipFile(edz) as archive:
        archive.extractall(path=tmp_path / "x")
    files = sorted(p for p in (tmp_path / "x").rglob("*") if p.is_file())
    entries = [(str(p.relative_to(tmp_path / "x")), p.read_bytes()) for p in files]
    good = tmp_path / "good.edz"
    _zip_edz(good, entries)
    assert edz_errors(good) == []
    missing = tmp_path / "missing.edz"
    _zip_edz(missing, [e for e in entries if "manufacturer" not in e[0]])
    assert any("not in the archive" in e for e in edz_errors(missing))
    extra = tmp_path / "extra.edz"
    _zip_edz(extra, [*entries, ("items/picture/x.png", b"png")])
    assert any("not listed" in e for e in edz_errors(extra))


def test_edz_with_broken_part_xml(tmp_path: Path, edz: Path) -> None:
    with py7zr.SevenZipFile(edz) as archive:
        archive.extractall(path=tmp_path / "x")
    part = tmp_path / "x" / "items" / "partxml" / "WAGO.770-1324.part.xml"
    part.write_bytes(part.read_bytes().replace(b'P_ARTICLE_PARTTYPE="1"',
                                               b'P_ARTICLE_PARTTYPE="2"'))
    bad = tmp_path / "bad.edz"
    with py7zr.SevenZipFile(bad, "w") as archive:
        for p in sorted((tmp_path / "x").rglob("*")):
            if p.is_file():
                archive.writef(io.BytesIO(p.read_bytes()), str(p.relative_to(tmp_path / "x")))
    errors = edz_errors(bad)
    assert errors and "P_ARTICLE_PARTTYPE" in " ".join(errors)


# hostile and broken files: each is invalid with a one-line reason, the next file is checked ---

def _seven_zip(path: Path, folder: Path, password: str | None = None) -> Path:
    with py7zr.SevenZipFile(path, "w", password=password) as archive:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                archive.write(p, str(p.relative_to(folder)))
    return path


def _entity_bomb() -> str:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY l0 "lol">{levels}]>\n'
            '<partsmanagement><part P_ARTICLE_PARTNR="&l9;"><variant/></part></partsmanagement>')


def hostile_files(folder: Path, edz: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the reason validate must give)."""
    with py7zr.SevenZipFile(edz) as archive:
        archive.extractall(path=folder / "x")
    files: dict[str, tuple[Path, str]] = {}
    bomb = folder / "bomb.xml"
    bomb.write_text(_entity_bomb(), encoding="utf-8")
    files["entity amplification"] = (bomb, "a DTD (<!DOCTYPE …>) is not accepted")
    xxe = folder / "xxe.xml"
    xxe.write_text('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
                   '<partsmanagement><part P_ARTICLE_PARTNR="A"><variant/>&e;</part>'
                   '</partsmanagement>', encoding="utf-8")
    files["external entity in content"] = (xxe, "a DTD (<!DOCTYPE …>) is not accepted")
    data = edz.read_bytes()
    corrupt = folder / "corrupt.edz"
    corrupt.write_bytes(data[:40] + bytes(b ^ 0x55 for b in data[40:120]) + data[120:])
    files["corrupt 7-Zip"] = (corrupt, "cannot open archive: corrupt data")
    files["encrypted 7-Zip"] = (_seven_zip(folder / "encrypted.edz", folder / "x", "secret"),
                                "cannot open archive: it is encrypted")
    manifest = folder / "x" / "manifest.xml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("?>", '?><!DOCTYPE m [<!ENTITY e "x">]>', 1),
                        encoding="utf-8")
    files["entity in the manifest"] = (_seven_zip(folder / "manifest.edz", folder / "x"),
                                       "manifest.xml: a DTD (<!DOCTYPE …>) is not accepted")
    manifest.write_text(text, encoding="utf-8")
    entries = [(str(p.relative_to(folder / "x")), p.read_bytes())
               for p in sorted((folder / "x").rglob("*")) if p.is_file()]
    escaping = folder / "escaping.edz"
    _zip_edz(escaping, [*entries, ("../evil.xml", b"<x/>")])
    files["entry leaving the archive"] = (escaping, "cannot open archive: entry '../evil.xml' "
                                                   "leaves the archive")
    link = folder / "link.edz"
    with zipfile.ZipFile(link, "w") as archive:
        for name, payload in entries:
            archive.writestr(name, payload)
        info = zipfile.ZipInfo("items/picture/link.png")
        info.external_attr = (0o120777 << 16)  # a symbolic link
        archive.writestr(info, "/etc/passwd")
    files["link entry"] = (link, "cannot open archive: entry 'items/picture/link.png' is a link")
    return files


def test_hostile_files_are_invalid_with_one_line_each_and_checking_goes_on(
        tmp_path: Path, edz: Path) -> None:
    files = hostile_files(tmp_path, edz)
    paths = [path for path, _ in files.values()]
    result = run_cli("validate", *paths, GOLDEN / "parts.xml")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"1 of {len(paths) + 1} files valid" in result.stdout
    lines = result.stderr.splitlines()
    for name, (path, reason) in files.items():
        at = lines.index(f"invalid: {path}")
        assert lines[at + 1].startswith(f"  {reason}"), (name, lines[at + 1])
        assert not lines[at + 2].startswith("  ") if at + 2 < len(lines) else True, name


def test_many_errors_are_counted_not_listed(tmp_path: Path) -> None:
    bad = "".join(f'<part P_ARTICLE_PARTNR="P{n}" P_ARTICLE_WIDTH="x"><variant/></part>'
                  for n in range(100))
    path = tmp_path / "many.xml"
    path.write_text(f"<partsmanagement>{bad}</partsmanagement>", encoding="utf-8")
    errors = document_errors(path)
    assert len(errors) == 21 and errors[-1] == "… and 80 more errors"
    assert errors[0].startswith("part P0: ") and "P_ARTICLE_WIDTH" in errors[0]
