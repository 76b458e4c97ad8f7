"""What `invoke boot` is given: init's argv from a shell-quoted string (``--args``), and the
boot-time input the kernel would refuse (kernel arguments by their grammar in kabi.json, a file
placed twice in "/", files larger than the guest's memory, unreadable files), refused before
QEMU starts in one line; and what the kernel itself does with the last two."""
import os
import shutil
from pathlib import Path
from typing import Tuple

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.core.errors import BadConfig, KabiError
from ringlab.core.kabi import KargGrammar
from ringlab.machine.qemu import (Module, QemuConfig, check_append, check_kernel_args,
                                  memory_bytes)
from ringlab.observe.events import ModuleSkipped, NoMemory, Panic
from ringlab.observe.verdict import Outcome
from tests import test_kargs

KALLOC_MIN_FREE_PAGES = 256     # kernel.h: the pages a boot needs beyond its modules


def test_args_become_init_args_words():
    assert lab.with_init_argv("", "sh /setup.sh") == "init.args=sh,/setup.sh"
    assert lab.with_init_argv("trace=mem", "'sh'") == "trace=mem init.args=sh"
    assert lab.with_init_argv("trace=mem", "") == "trace=mem"


@pytest.mark.parametrize("bad", ["a,b", "'a b'", "''", "'unterminated"])
def test_args_the_kernel_command_line_cannot_carry_are_refused(bad):
    with pytest.raises(BadConfig, match="--args"):
        lab.with_init_argv("", bad)


@pytest.mark.boot
def test_bad_args_stop_before_qemu_with_one_line(invoke_cli, images):
    res = invoke_cli(["boot", "--init", str(images.program("hello")), "--args", "a,b"])
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.strip().splitlines() == [
        "ringlab-boot: error: --args: 'a,b': init's arguments cannot be empty or hold commas "
        "or white space"]


@pytest.mark.boot
def test_args_reach_init(invoke_cli, images):
    res = invoke_cli(["boot", "--init", str(images.program("hello")), "--args", "one two"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "argv[0]=hello, 2 args" in res.stdout, res.stdout


# -- Boot-time input the kernel would refuse: refused before QEMU starts, in one line ----------

def fake_qemu_env(tmp_path: Path) -> Tuple[dict, Path]:
    """An environment whose qemu-system-x86_64 only leaves a mark (and fails): a refusal
    that is really made before QEMU starts leaves none."""
    bindir, mark = tmp_path / "bin", tmp_path / "qemu-started"
    bindir.mkdir()
    fake = bindir / C.QEMU_BINARY
    fake.write_text(f"#!/bin/sh\ntouch {mark}\nexit 1\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return env, mark


def sparse_copy(src: Path, dst: Path, size: int) -> Path:
    """``src`` (a static ELF) grown to ``size`` bytes with a hole: large, nothing written."""
    shutil.copyfile(src, dst)
    os.truncate(dst, size)
    return dst


LONG_TRACE = ",".join(["syscall"] * 31)            # 247 bytes, each word valid

# (what to add to `invoke boot --init hello`, the one error line after "ringlab-boot: error: ")
REFUSALS = [
    (["--append", "crash=nul"], "--append crash=nul: the kernel refuses it (unknown-value: "
                                "crash takes one of null|stack|smep|smap|triple)"),
    (["--append", "trace=bogus"], "--append trace=bogus: the kernel refuses it (unknown-value: "
                                  "trace takes a comma list of syscall|mem|signal)"),
    (["--append", "trace=syscall,"], "--append trace=syscall,: the kernel refuses it "
                                     "(unknown-value: trace takes a comma list of "
                                     "syscall|mem|signal)"),
    (["--append", "test.ukpage=2"], "--append test.ukpage=2: the kernel refuses it "
                                    "(unknown-value: test.ukpage takes one of 1)"),
    (["--append", "init.args=" + ",".join("a" * 17)],
     f"--append init.args={','.join('a' * 17)}: the kernel refuses it (too-many: init.args "
     "takes a comma list of at most 16 items)"),
    (["--append", "trace=mem trace=syscall"], "--append trace=syscall: trace given twice (the "
                                              "kernel takes each key once)"),
    (["--append", "verbose"], "--append verbose: not key=value (the kernel takes "),
    (["--append", "=mem"], "--append =mem: the kernel accepts no key ''"),
    (["--append", "init.args=" + "a" * 256], "--append init.args=...: the value is 256 bytes, "
                                             "the kernel takes at most 255"),
    (["--append", f"init.args={'a' * 255} trace={LONG_TRACE}"],
     "--append: the kernel command line (the kernel's path and the arguments) is "),
    (["--file", "/proc/self/mem"], "/proc/self/mem: cannot read it: Input/output error"),
    (["--file", "/dev/null"], "/dev/null: not a regular file"),
    (["--file", "HELLO"], "/hello placed twice (--init HELLO and --file HELLO): one file per "
                          "name in /"),
    (["--file", "BIG"], "the files for / take 200.0 MiB (the largest, --file BIG, 200.0 MiB) but "
                        "the guest has 128.0 MiB of memory (-m 128M)"),
]


def test_a_module_name_past_name_max_is_refused_before_qemu(images):
    """NAME_MAX is 255 (kabi FS_NAME_MAX), as the host's: no host file has a longer name, so
    only a Module named apart from its file can ask for one, and validate() refuses it."""
    cfg = QemuConfig(init=images.program("hello"), files=[Module(images.program("ret42"), "n" * 256)])
    with pytest.raises(BadConfig, match="its name is 256 bytes, a name in / at most 255"):
        cfg.validate()


@pytest.mark.boot
@pytest.mark.parametrize("extra, line", REFUSALS, ids=[" ".join(r[0])[:32] for r in REFUSALS])
def test_what_the_kernel_would_refuse_is_refused_before_qemu_in_one_line(
        invoke_cli, images, tmp_path, extra, line):
    hello = str(images.program("hello"))
    big = str(sparse_copy(images.program("hello"), tmp_path / "big", 200 << 20))
    subst = {"HELLO": hello, "BIG": big}
    extra = [subst.get(a, a) for a in extra]
    for word, path in subst.items():
        line = line.replace(word, path)
    env, mark = fake_qemu_env(tmp_path)
    res = invoke_cli(["boot", "--init", hello, *extra], env=env)
    assert res.returncode == C.EXIT_SETUP_ERROR, res.stdout + res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ringlab-boot: error: " + line), res.stderr
    assert res.stdout == ""
    assert not mark.exists(), "QEMU was started"


@pytest.mark.boot
def test_an_init_larger_than_memory_is_refused_before_qemu(invoke_cli, images, tmp_path):
    big = sparse_copy(images.program("hello"), tmp_path / "big", 200 << 20)
    env, mark = fake_qemu_env(tmp_path)
    res = invoke_cli(["boot", "--init", str(big)], env=env)
    assert res.returncode == C.EXIT_SETUP_ERROR and res.stdout == "", res.stderr
    assert res.stderr == (f"ringlab-boot: error: the files for / take 200.0 MiB (the largest, "
                          f"--init {big}, 200.0 MiB) but the guest has 128.0 MiB of memory "
                          "(-m 128M)\n")
    assert not mark.exists()


@pytest.mark.boot
@pytest.mark.parametrize("append", ["crash=nul", "trace=bogus", "nokey=1", "trace=mem trace=mem"])
def test_the_lab_api_refuses_the_same_arguments(append):
    with pytest.raises(BadConfig, match="--append"):
        lab.boot_config(None, append=append)


@pytest.mark.boot
@pytest.mark.parametrize("append, key, value, reason", test_kargs.REFUSED,
                         ids=[r[0][:24] for r in test_kargs.REFUSED])
def test_every_argument_the_kernel_refuses_the_harness_refuses(append, key, value, reason):
    """tests/test_kargs.py boots each of these and sees the kernel refuse it."""
    with pytest.raises(BadConfig):
        check_kernel_args(append)


@pytest.mark.boot
@pytest.mark.parametrize("append", test_kargs.GOOD)
def test_every_argument_the_kernel_takes_the_harness_takes(append):
    check_kernel_args(append)


# -- The kernel's own answers (the harness would have refused first) -----------------------------

class Unchecked(QemuConfig):
    """A config whose modules are not checked: what the kernel does with what the harness
    refuses."""

    def validate(self) -> None:
        pass


@pytest.mark.boot
def test_modules_leaving_too_little_memory_stop_the_kernel_with_one_event(images, tmp_path):
    """Fits in the guest's 32 MiB (QEMU loads it), leaves the kernel too little: it says how
    much it needs and halts with its own status; no panic, init never runs."""
    init = sparse_copy(images.program("hello"), tmp_path / "big", 31 << 20)
    run = lab.run(QemuConfig(init=init, memory="32M"), timeout_s=30)
    assert run.outcome is Outcome.NO_MEMORY, run.report()
    (nomem,) = run.of(NoMemory)
    assert nomem.mem_kib < nomem.need_kib and nomem.modules_kib == 31 << 10
    assert nomem.need_kib >= nomem.modules_kib + 4 * KALLOC_MIN_FREE_PAGES
    assert not run.of(Panic) and not run.of("enter-user")
    assert run.exit_status == C.EXIT_NO_MEMORY == kabi.load().const("NOMEM_STATUS")
    assert f"needs {nomem.need_kib} KiB" in run.verdict.detail
    assert "CR0=" not in run.report()                      # no power-on register dump


@pytest.mark.boot
def test_modules_larger_than_memory_are_refused_by_the_lab_api_too(images, tmp_path):
    init = sparse_copy(images.program("hello"), tmp_path / "big", 40 << 20)
    with pytest.raises(BadConfig, match="the guest has 32.0 MiB of memory"):
        lab.run(QemuConfig(init=init, memory="32M"), timeout_s=30)


@pytest.mark.boot
def test_a_name_placed_twice_keeps_the_first_and_says_so(images):
    hello, ret42 = images.program("hello"), images.program("ret42")
    run = lab.run(Unchecked(init=hello, files=[Module(ret42, "hello")]), timeout_s=30)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    (skipped,) = run.of(ModuleSkipped)
    assert (skipped.name, skipped.reason) == ("hello", "duplicate-name")
    assert skipped.size == ret42.stat().st_size
    assert "hello from pid 1" in run.user_output


@pytest.mark.unit
def test_memory_sizes_read_as_qemu_reads_them():
    assert memory_bytes("128M") == 128 << 20
    assert memory_bytes("128") == 128 << 20
    assert memory_bytes("1G") == 1 << 30
    assert memory_bytes("512k") == 512 << 10
    assert memory_bytes("size=2G") == 2 << 30
    assert memory_bytes("2G,slots=2,maxmem=4G") is None


GRAMMARS = [   # grammar, value, the kernel's reason (None: taken)
    ("enum a|bc", "a", None), ("enum a|bc", "bc", None), ("enum a|bc", "b", "unknown-value"),
    ("enum a|bc", "", "unknown-value"), ("enum a|bc", "a,bc", "unknown-value"),
    ("set a|bc", "a,bc,a", None), ("set a|bc", "a,", "unknown-value"),
    ("set a|bc", "", "unknown-value"),
    ("int 0..65535", "0", None), ("int 0..65535", "65535", None), ("int 0..65535", "007", None),
    ("int 0..65535", "65536", "out-of-range"), ("int 0..65535", "-1", "out-of-range"),
    ("int 0..65535", "", "not-a-number"), ("int 0..65535", "-", "not-a-number"),
    ("int 0..65535", "+1", "not-a-number"), ("int 0..65535", "0x10", "not-a-number"),
    ("int -5..5", "-5", None), ("int 0..65535", "9" * 20, "not-a-number"),
    ("list 2", "", None), ("list 2", "a,b", None), ("list 2", "a,b,", None),
    ("list 2", ",,", None), ("list 2", "a,b,c", "too-many"), ("list 2", ",,,", "too-many"),
    ("text", "anything,at=all", None),
]


@pytest.mark.unit
@pytest.mark.parametrize("grammar, value, reason", GRAMMARS)
def test_kernel_argument_grammars(grammar, value, reason):
    assert KargGrammar.parse(grammar).refusal(value) == reason


@pytest.mark.unit
@pytest.mark.parametrize("bad", ["enum", "int 1", "int a..b", "list", "list x", "float 1.0",
                                 "text 5"])
def test_an_unknown_grammar_is_a_kabi_error(bad):
    with pytest.raises(KabiError, match="kernel/include/kargs.h"):
        KargGrammar.parse(bad)


@pytest.mark.unit
def test_a_new_key_needs_only_its_grammar():
    """A key added to the kernel's table (say ``init.uid``) is checked from the ABI file
    alone: no harness change."""
    keys = {"init.uid": "int 0..65535", "trace": "set syscall|mem"}
    check_append("init.uid=1000 trace=mem", keys)
    with pytest.raises(BadConfig, match=r"out-of-range: init.uid takes an integer in 0\.\.65535"):
        check_append("init.uid=70000", keys)
    with pytest.raises(BadConfig, match="not-a-number"):
        check_append("init.uid=root", keys)


@pytest.mark.unit
def test_the_abi_file_states_each_keys_grammar():
    k = kabi.load()
    for key, grammar in {"trace": "set syscall|mem|signal",
                         "crash": "enum null|stack|smep|smap|triple",
                         "init.args": "list 16", "test.ukpage": "enum 1",
                         "console.echo": "enum 0|1"}.items():
        assert k.kargs[key] == grammar
    for key in k.kargs:
        k.karg_grammar(key)                    # every grammar is one this harness reads
    assert k.const("KARGS_VALUE_MAX") == 256 and k.const("KARGS_CMDLINE_MAX") == 512


@pytest.mark.boot
@pytest.mark.parametrize("name", ["tmp", "dev"])
def test_an_init_named_as_a_directory_of_root_still_runs(images, tmp_path, name):
    """"/" has tmp and dev before the modules: an init of that name is left out of "/" (and
    said so) but runs, from its module, under its name."""
    init = tmp_path / name
    shutil.copyfile(images.program("hello"), init)
    run = lab.run(QemuConfig(init=init), timeout_s=30)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    (skipped,) = run.of(ModuleSkipped)
    assert (skipped.name, skipped.reason) == (name, "duplicate-name")
    assert f"argv[0]={name}, 0 args" in run.user_output


@pytest.mark.boot
def test_a_name_too_long_for_root_is_left_out_not_cut(images, tmp_path):
    """NAME_MAX is 255 as Linux's: a module named with 256 bytes is left out (the host's own
    NAME_MAX keeps such a file name off its disk: the module gets the name instead)."""
    hello, long = images.program("hello"), Module(images.program("ret42"), "n" * 256)
    run = lab.run(Unchecked(init=hello, files=[long]), timeout_s=30)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    (skipped,) = run.of(ModuleSkipped)
    assert (skipped.name, skipped.reason) == (long.name, "name-too-long")


@pytest.mark.boot
def test_invoke_boot_names_too_little_memory_and_exits_249(invoke_cli, images, tmp_path):
    """126 MiB fit in the default 128 MiB (the harness lets it through) but leave the kernel
    too little: its event, the outcome line and exit status 249 (docs/tour.md's table)."""
    init = sparse_copy(images.program("hello"), tmp_path / "big", 126 << 20)
    res = invoke_cli(["boot", "--init", str(init)])
    assert res.returncode == C.EXIT_NO_MEMORY, res.stdout + res.stderr
    assert "ringlab: no-memory need_kib=" in res.stdout and "ringlab: panic" not in res.stdout
    assert res.stderr.startswith("ringlab-boot: no-memory: too little memory: the kernel needs "), \
        res.stderr
