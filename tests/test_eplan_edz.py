"""EDZ packages built in memory: what ``render`` hands the main process, how it is checked."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import py7zr
import pytest

from cae_export.catalog import load_record_file
from cae_export.core.problems import RecordError
from cae_export.formats.eplan import edz_target
from cae_export.formats.eplan.edz import (
    Item,
    archive_entries,
    edz_bytes,
    edz_errors,
    leaves_archive,
    sealed_errors,
)
from cae_export.formats.eplan.edz_target import EdzPackage, EdzTarget
from cae_export.formats.eplan.view import PartView, render_record
from cae_export.formats.eplan.xml import document_digest
from cae_export.pipeline import BuildOptions
from cae_export.record import Record
from tests.conftest import CATALOG, REPO, assert_golden

GOLDEN = REPO / "tests" / "golden" / "eplan" / "edz"
# 7z start header: 6-byte signature, 2 version bytes, 4-byte CRC, then the next header's offset.
START_HEADER_SIZE = 32
PLAIN_HEADER, ENCODED_HEADER = 0x01, 0x17


def render_edz(record: Record) -> EdzPackage:
    """What the edz target renders for a record, given its part view."""
    return EdzTarget.render(record, {PartView: render_record(record)}, BuildOptions(), None)


@pytest.fixture(scope="module")
def record() -> Record:
    return load_record_file(CATALOG / "wago" / "770-1324.yaml")


@pytest.fixture(scope="module")
def package(record: Record) -> EdzPackage:
    return render_edz(record)


def test_render_returns_the_finished_checked_package(package: EdzPackage) -> None:
    assert package.part_number == "WAGO.770-1324"
    assert_golden(package.data, GOLDEN / "WAGO.770-1324.edz")
    assert edz_errors(package.data) == []
    assert pickle.loads(pickle.dumps(package)) == package  # workers send it back


def test_render_is_repeatable(record: Record, package: EdzPackage) -> None:
    assert render_edz(record).data == package.data


def test_archive_is_light_lzma2_with_a_plain_header(package: EdzPackage) -> None:
    with py7zr.SevenZipFile(io.BytesIO(package.data)) as archive:
        folders = archive.header.main_streams.unpackinfo.folders
    coders = [coder for folder in folders for coder in folder.coders]
    # one LZMA2 coder (method id 0x21) whose property byte 12 means a 256 KiB dictionary
    assert [(c["method"], c["properties"]) for c in coders] == [(b"\x21", b"\x0c")]
    next_header = int.from_bytes(package.data[12:20], "little") + START_HEADER_SIZE
    assert package.data[next_header] == PLAIN_HEADER != ENCODED_HEADER


def test_in_memory_read_matches_py7zr_extraction(package: EdzPackage, tmp_path: Path) -> None:
    names, contents = archive_entries(package.data)
    with py7zr.SevenZipFile(io.BytesIO(package.data)) as archive:
        archive.extractall(path=tmp_path)
    assert names == ["manifest.xml", "items/partxml/WAGO.770-1324.part.xml",
                     "items/partxml/WAGO.manufacturer.xml"]
    assert contents == {name: (tmp_path / name).read_bytes() for name in names}


def test_a_package_that_fails_its_check_is_refused_in_render(
        record: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    real_items = edz_target.package_items

    def broken_items(rendered):  # type: ignore[no-untyped-def]
        part, manufacturer = real_items(rendered)
        bad = part.data.replace(b'P_ARTICLE_PARTTYPE="1"', b'P_ARTICLE_PARTTYPE="2"')
        assert bad != part.data
        return [type(part)(part.type, part.name, part.locator, bad), manufacturer]

    monkeypatch.setattr(edz_target, "package_items", broken_items)
    with pytest.raises(RecordError) as caught:
        render_edz(record)
    problem = caught.value.problem
    assert problem.record == "770-1324"
    assert "WAGO.770-1324" in problem.message and "P_ARTICLE_PARTTYPE" in problem.message


def _zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_only_xml_is_unpacked_and_every_name_is_listed(package: EdzPackage) -> None:
    names, contents = archive_entries(package.data)
    picture = ("items/picture/photo.png", b"\x89PNG" + bytes(1000))
    data = _zip_bytes([*((n, contents[n]) for n in names), picture])
    zip_names, zip_contents = archive_entries(data)
    assert zip_names == [*names, picture[0]]
    assert set(zip_contents) == set(names)
    assert any("photo.png is not listed" in e for e in edz_errors(data))


def test_an_entry_leaving_the_archive_is_refused(package: EdzPackage) -> None:
    names, contents = archive_entries(package.data)
    data = _zip_bytes([*((n, contents[n]) for n in names), ("../outside.xml", b"<x/>")])
    assert edz_errors(data) == ["cannot open archive: entry '../outside.xml' leaves the archive"]


def test_bytes_that_are_no_archive() -> None:
    assert edz_errors(b"not an archive") == ["cannot open archive: not a 7-Zip or zip archive"]
    assert edz_errors(b"7z\xbc\xaf\x27\x1c" + bytes(40))[0].startswith("cannot open archive")


def _packed_entries(package: EdzPackage) -> dict[str, bytes]:
    names, contents = archive_entries(package.data)
    return {name: contents[name] for name in names}


def test_the_finished_archive_is_checked_against_the_entries_packed(
        package: EdzPackage) -> None:
    entries = _packed_entries(package)
    assert sealed_errors(package.data, entries) == []
    part = "items/partxml/WAGO.770-1324.part.xml"
    same_length = entries[part].replace(b'P_ARTICLE_PARTTYPE="1"', b'P_ARTICLE_PARTTYPE="2"')
    assert len(same_length) == len(entries[part]) and same_length != entries[part]
    assert sealed_errors(package.data, {**entries, part: same_length}) == [
        f"archive entry {part} is not the bytes packed"]
    fewer = {name: data for name, data in entries.items() if name != part}
    assert sealed_errors(package.data, fewer)[0].startswith("the archive lists")
    damaged = bytearray(package.data)
    damaged[START_HEADER_SIZE + 40] ^= 0xFF  # inside the packed stream
    assert sealed_errors(bytes(damaged), entries) == [
        "cannot open archive: LZMAError: Corrupt input data"]


def test_each_part_document_is_checked_once(record: Record, package: EdzPackage) -> None:
    # the part view checked the very documents the package holds, so packing them does not
    # check them again; any other bytes are checked (the test above that breaks an item)
    checked = render_record(record).checked
    documents = [data for name, data in _packed_entries(package).items()
                 if name.startswith("items/partxml/")]
    assert len(documents) == 2
    assert {document_digest(data) for data in documents} == checked


def test_a_part_whose_entry_would_leave_the_archive_is_refused(
        record: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    # the packer writes names unchecked by py7zr: they pass our own rule before packing
    real_items = edz_target.package_items

    def escaping_items(rendered):  # type: ignore[no-untyped-def]
        part, manufacturer = real_items(rendered)
        return [type(part)(part.type, part.name, "../../outside.part.xml", part.data),
                manufacturer]

    monkeypatch.setattr(edz_target, "package_items", escaping_items)
    with pytest.raises(RecordError) as caught:
        render_edz(record)
    assert caught.value.problem.record == "770-1324"
    assert "'items/partxml/../../outside.part.xml' leaves the archive" in \
        caught.value.problem.message


@pytest.mark.parametrize(("name", "leaves"), [
    ("../x.xml", True), ("/etc/x.xml", True), ("C:/x.xml", True), ("a/../../x.xml", True),
    ("a\\..\\x.xml", True), ("", True), ("items/partxml/WAGO.770-450/000-006.part.xml", False),
    ("items/partxml/a..b.part.xml", False)])
def test_the_rule_for_entry_names(name: str, leaves: bool) -> None:
    assert leaves_archive(name) is leaves


def test_the_packer_refuses_a_name_leaving_the_archive() -> None:
    with pytest.raises(ValueError, match="leaves the archive"):
        edz_bytes(b"<manifest/>", [Item("..", "part", "x.part.xml", b"<x/>")])


def test_an_address_failing_the_schema_is_refused_for_every_part_with_it(
        record: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    # the maker's address document is checked once per process; a bad one still refuses
    # every part that carries it, each named by its own part number
    from cae_export.formats.eplan import view

    real = view.render_address
    monkeypatch.setattr(view, "render_address",
                        lambda address: real(address).replace("/>", "><nonsense/></address>"))
    other = Record({**record.data, "item_number": "770-1325"}, record.source)
    for part, number in ((record, "WAGO.770-1324"), (other, "WAGO.770-1325")):
        with pytest.raises(RecordError) as caught:
            render_record(part)
        message = caught.value.problem.message
        assert f"EPLAN part {number} fails the schema" in message and "nonsense" in message
