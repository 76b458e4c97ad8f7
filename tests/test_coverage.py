"""The test suite's kernel coverage (``invoke test --coverage``, ``invoke coverage``): the
coverage kernel's machine-wide record (kernel/cover.c, include/cover.h) and its report
(harness/ringlab/machine/coverage.py, harness/ringlab/cli/coverage.py).

The unit tests write records by hand, in the format include/cover.h states (magic, the
kernel's __text_start, one u32 per site), from the real sanitizer kernel's call sites, and
check the merge, the per-file and per-function figures, the unreached lines and the pages.
The boots check that a machine on the coverage kernel with RINGLAB_COVERAGE=DIR leaves its
record in DIR, that the record names what the program did (sys_getpid for hello's getpid),
that kcov keeps working beside it, and that the machine's console is the same with and
without it.
"""
from __future__ import annotations

import shutil
import struct

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core.errors import BadConfig, BadCoverDump
from ringlab.machine import coverage
from ringlab.machine import cover
from ringlab.machine.qemu import QemuConfig
from ringlab.machine.symbols import symbol_address, symbolizer

TIMEOUT_S = 60.0


def record(base: int, pcs, tail: bytes = b"") -> bytes:
    """A record as the kernel streams it (include/cover.h)."""
    return (b"RLCOVER1" + struct.pack("<Q", base)
            + b"".join(struct.pack("<I", pc - base) for pc in pcs) + tail)


def sites_of(kernel, name):
    """The hook call sites (return addresses) inside function ``name``."""
    sym = symbolizer(kernel)
    return [s for s in coverage.hook_call_sites(kernel)
            if (fn := sym.function_at(s - 1)) is not None and fn.name == name]


@pytest.mark.unit
def test_line_ranges():
    assert coverage.line_ranges([]) == ""
    assert coverage.line_ranges([3, 4, 5, 9, 11, 12]) == "3-5 9 11-12"


@pytest.mark.unit
def test_read_dump_refuses_what_is_not_a_record(tmp_path):
    empty = tmp_path / "empty.cov"
    empty.write_bytes(b"")
    assert coverage.read_dump(empty) is None          # QEMU stopped before the kernel probed
    for i, data in enumerate([b"RLCOVER", b"XXCOVER1" + bytes(8), b"hello world, not a record"]):
        bad = tmp_path / f"bad{i}.cov"
        bad.write_bytes(data)
        with pytest.raises(BadCoverDump, match="not a coverage record"):
            coverage.read_dump(bad)
    cut = tmp_path / "cut.cov"
    cut.write_bytes(record(0x1000, [0x1010, 0x1020], tail=b"\x05\x00"))
    dump = coverage.read_dump(cut)
    assert dump.base == 0x1000 and dump.pcs == {0x1010, 0x1020} and dump.truncated


@pytest.mark.unit
def test_merge_and_report_of_synthetic_records(sanitizer_kernel, tmp_path):
    base = symbol_address(sanitizer_kernel, "__text_start")
    getpid, getppid = sites_of(sanitizer_kernel, "sys_getpid"), sites_of(sanitizer_kernel, "sys_getppid")
    kmain = sites_of(sanitizer_kernel, "kmain")
    assert getpid and getppid and kmain
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    # two machines that overlap, one killed in the middle of a record, one that never probed
    (dumps / "a.cov").write_bytes(record(base, kmain + getpid))
    (dumps / "b.cov").write_bytes(record(base, kmain[:1] + [base + 1], tail=b"\x01"))
    (dumps / "c.cov").write_bytes(b"")
    (dumps / "notes.txt").write_text("not a record")
    files = coverage.dump_files(dumps)
    assert [p.name for p in files] == ["a.cov", "b.cov", "c.cov"]
    pcs, machines = coverage.merge_dumps(files, sanitizer_kernel)
    assert machines == 2 and pcs == set(kmain + getpid) | {base + 1}

    cov = coverage.suite_coverage(sanitizer_kernel, pcs, machines=machines)
    by_name = {f.name: f for f in cov.functions}
    assert by_name["sys_getpid"].hit == by_name["sys_getpid"].total > 0
    assert by_name["kmain"].hit == by_name["kmain"].total
    assert by_name["sys_getppid"].hit == 0                    # never reached
    assert by_name["sys_getpid"].file == by_name["sys_getppid"].file    # both sysproc.c
    getpid_file = by_name["sys_getpid"].file
    # the per-file figures are line_coverage's of the same sites (the fuzzer's report)
    assert cov.files == coverage.line_coverage(sanitizer_kernel, pcs)
    assert 0 < cov.files[getpid_file].hit < cov.files[getpid_file].total
    total = {f: len(cov.reached.get(f, [])) + len(cov.unreached.get(f, [])) for f in cov.files}
    assert all(total[f] == c.total and len(cov.reached.get(f, [])) == c.hit
               for f, c in cov.files.items())
    getppid_line = by_name["sys_getppid"].line
    assert any(l >= getppid_line for l in cov.unreached[getpid_file])

    summary = coverage.format_suite_summary(cov)
    assert summary[0].startswith("kernel coverage from 2 machines")
    never = next(l for l in summary if l.startswith(f"  {getpid_file}: "))
    assert "sys_getppid" in never.split(": ", 1)[1].split(", ")
    assert "sys_getpid" not in never.split(": ", 1)[1].split(", ")
    text = coverage.format_suite_report(cov)
    row = next(l for l in text if " sys_getpid " in l)
    assert row.strip().startswith(f"{getpid_file}:") and row.endswith("100.0%")
    assert any(l.startswith(f"  {getpid_file}: ") and "-" in l
               for l in text[text.index("unreached lines, by file:"):])

    pages = coverage.write_html(cov, [C.REPO_ROOT / "kernel"], tmp_path / "html")
    assert pages[0].name == "index.html" and (tmp_path / "html" / f"{getpid_file}.html") in pages
    page = (tmp_path / "html" / f"{getpid_file}.html").read_text()
    assert "class=hit" in page and "class=miss" in page and "sys_getpid" in page


@pytest.mark.unit
def test_a_record_of_another_kernel_is_refused(sanitizer_kernel, tmp_path):
    other = tmp_path / "other.cov"
    other.write_bytes(record(0x1000, [0x1010]))
    with pytest.raises(BadCoverDump, match="recorded by a kernel whose text starts at 0x1000"):
        coverage.merge_dumps([other], sanitizer_kernel)
    base = symbol_address(sanitizer_kernel, "__text_start")
    rebuilt = tmp_path / f"m.{'0' * cover.BUILD_ID_HEX}.cov"
    rebuilt.write_bytes(record(base, sites_of(sanitizer_kernel, "kmain")))
    with pytest.raises(BadCoverDump, match="another build of the kernel"):
        coverage.merge_dumps([rebuilt], sanitizer_kernel)


@pytest.mark.unit
def test_only_the_coverage_kernel_gets_the_device(monkeypatch, tmp_path, sanitizer_kernel):
    monkeypatch.delenv(C.COVERAGE_ENV, raising=False)
    assert cover.dump_file(sanitizer_kernel, "m") is None
    monkeypatch.setenv(C.COVERAGE_ENV, str(tmp_path / "d"))
    assert cover.dump_file(C.IMAGES_DIR / "kernel.elf", "m") is None   # no hook in it
    copy = tmp_path / "copy.elf"                              # the gdb tests boot copies
    shutil.copyfile(sanitizer_kernel, copy)
    assert cover.dump_file(copy, "c") == (tmp_path / "d" / f"c.{cover.build_id(copy)}.cov").resolve()
    assert cover.dump_file(sanitizer_kernel, "m", ["-icount", "shift=auto,rr=record"]) is None
    path = cover.dump_file(sanitizer_kernel, "m")
    build = cover.build_id(sanitizer_kernel)
    assert path == (tmp_path / "d" / f"m.{build}.cov").resolve() and path.parent.is_dir()
    assert cover.record_build_id(path) == build and cover.record_build_id("a.cov") is None
    cmd = QemuConfig(kernel=sanitizer_kernel).command(cover_file=path)
    assert cmd[cmd.index("-device", cmd.index(f"file,id=cover,path={path}")):][:2] == [
        "-device", f"isa-debugcon,iobase={C.COVER_IOBASE:#x},chardev=cover"]
    assert "isa-debugcon" not in " ".join(QemuConfig(kernel=sanitizer_kernel).command())
    monkeypatch.setenv(C.COVERAGE_ENV, str(tmp_path / "a,b"))
    with pytest.raises(BadConfig, match="comma"):
        cover.dump_file(sanitizer_kernel, "m")


@pytest.mark.boot
def test_a_boot_leaves_its_record(images, sanitizer_kernel, monkeypatch, tmp_path):
    config = QemuConfig(kernel=sanitizer_kernel, init=images.program("hello"))
    monkeypatch.delenv(C.COVERAGE_ENV, raising=False)
    plain = lab.run(config, timeout_s=TIMEOUT_S)
    assert plain.status == 0, plain.report()
    dumps = tmp_path / "dumps"
    monkeypatch.setenv(C.COVERAGE_ENV, str(dumps))
    run = lab.run(config, timeout_s=TIMEOUT_S)
    assert run.status == 0, run.report()
    # nothing a test sees changes: the same console, line for line
    assert run.console == plain.console, run.report()
    [dump] = coverage.dump_files(dumps)
    rec = coverage.read_dump(dump)
    assert rec is not None and not rec.truncated
    assert rec.base == symbol_address(sanitizer_kernel, "__text_start")
    sites = set(coverage.hook_call_sites(sanitizer_kernel))
    assert rec.pcs <= sites                  # every record is a call site, each sent once
    assert len(dump.read_bytes()) == 16 + 4 * len(rec.pcs)
    cov = coverage.suite_coverage(sanitizer_kernel, rec.pcs, machines=1)
    by_name = {f.name: f for f in cov.functions}
    assert by_name["sys_getpid"].hit > 0 and by_name["kmain"].hit > 0
    assert cov.files[by_name["sys_getpid"].file].hit > 0
    assert by_name["sys_getpid"].file == "sysproc.c"


@pytest.mark.boot
def test_kcov_works_beside_the_record(images, sanitizer_kernel, monkeypatch, tmp_path):
    monkeypatch.setenv(C.COVERAGE_ENV, str(tmp_path / "dumps"))
    run = lab.run(QemuConfig(kernel=sanitizer_kernel, init=images.program("kcovread")),
                  timeout_s=TIMEOUT_S)
    assert run.status == 0, run.report()
    head, *pcs = run.user_lines
    assert head == f"kcovread: read=512 pcs={len(pcs)}" and len(pcs) >= 20, run.report()
    sym = symbolizer(sanitizer_kernel)
    traced = {sym.function_at(int(t, 16)).name for t in pcs}
    assert {"sys_read", "file_read"} <= traced      # (do_read is inlined into sys_read)
    [dump] = coverage.dump_files(tmp_path / "dumps")
    reached = coverage.read_dump(dump).pcs
    assert {int(t, 16) for t in pcs} <= reached    # what the thread traced, the machine reached


@pytest.mark.unit
def test_invoke_coverage_reports_the_records(sanitizer_kernel, invoke_cli, tmp_path):
    dumps, out = tmp_path / "dumps", tmp_path / "out"
    empty = invoke_cli(["coverage", "--dumps", str(dumps), "--out", str(out)])
    assert empty.returncode == 1 and "no coverage record in" in empty.stderr, empty
    dumps.mkdir()
    base = symbol_address(sanitizer_kernel, "__text_start")
    (dumps / "m.cov").write_bytes(record(base, sites_of(sanitizer_kernel, "sys_getpid")))
    done = invoke_cli(["coverage", "--dumps", str(dumps), "--out", str(out)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kernel coverage from 1 machines")
    assert "\n  core*" in done.stdout and "functions never reached:" in done.stdout
    report = (out / "report.txt").read_text()
    assert report.startswith(done.stdout.split("\nreport: ")[0])      # the summary, then more
    assert "per function" in report and (out / "html" / "index.html").is_file()
