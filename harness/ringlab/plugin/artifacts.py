"""The evidence folder of one test: every machine it booted, on disk, runnable again.

``write(folder, sessions, failure)`` makes, for each machine (``machine-N/`` when there are
several, else the folder itself):

- ``console.txt``   the serial console exactly as received;
- ``events.jsonl``  the kernel's events, one JSON object a line (kind, index, line, fields);
- ``qemu.log``      QEMU's ``-d int,cpu_reset`` log. A machine booted without ``-d int`` is
                    booted once more with it (non-interactive machines only), and report.txt
                    says so and what that boot's outcome was;
- ``machine.json``  the machine (ringlab.machine.description): its QEMU configuration, each
                    file with its SHA-256 and its copy under ``files/`` (kernel, modules,
                    stdin), what the run was given; ``invoke boot --from`` and ``invoke
                    debug --from`` the folder read it; the next three are derived from it;
- ``command.sh``    the exact QEMU command, runnable from any directory: the kernel and the
                    modules are copies under ``files/``, found from the script's own path;
- ``reproduce.txt`` the ``invoke boot`` line with every option the test used, from any
                    directory (``invoke --search-root CHECKOUT``);
- ``report.txt``    the test's failure and the machine's report (outcome, console tail, log);
- ``debug.sh``      (in the folder itself) gdb at the test's first fault, from any directory:
                    ``invoke debug --from`` this folder (options after it go to invoke debug).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from .. import lab
from ..core import constants as C
from ..core.errors import BadImage
from ..lab.session import Run, Session
from ..machine.description import Machine, stdin_redirect
from ..machine.qemu import QemuConfig
from ..machine.symbols import source_line, symbolizer
from ..observe.events import Sanitizer

#: a folder name from a test id: safe for a shell and for QEMU's -initrd (no comma, no space)
_UNSAFE = re.compile(r"[^A-Za-z0-9._+=\[\]-]+")
MAX_NAME = 120
MARKER = ".ringlab-artifacts"   # in every folder written here (old ones may be removed)
RERUN_MIN_TIMEOUT_S = 10.0
REPRODUCE_FILE = "reproduce.txt"
STDIN_COPY = "stdin"            # files/stdin: what the test typed on the console, if anything


def folder_name(nodeid: str) -> str:
    """``tests/test_x.py::test_y[a,b]`` -> ``tests_test_x.py__test_y[a_b]`` (shortened with
    a hash when long)."""
    name = _UNSAFE.sub("_", nodeid.replace("::", "__")).strip("._") or "test"
    if len(name) > MAX_NAME:
        name = f"{name[:MAX_NAME - 9]}-{hashlib.sha1(nodeid.encode()).hexdigest()[:8]}"
    return name


def invoke_line(machine: Union[Machine, QemuConfig], task: str = "boot",
                extra: Sequence[str] = ()) -> str:
    """The ``invoke TASK`` command (from any directory) that boots ``machine`` again (with
    ``< FILE`` for a machine whose programs read a file)."""
    m = machine if isinstance(machine, Machine) else Machine(machine)
    return shlex.join([sys.executable, "-m", "invoke", "--search-root", str(C.REPO_ROOT),
                       task, *lab.invoke_args(m, task=task), *extra]) + \
        (stdin_redirect(m) if task == "boot" else "")


def debug_script() -> str:
    """debug.sh: ``invoke debug --from`` the folder the script is in, from any directory."""
    invoke = shlex.join([sys.executable, "-m", "invoke", "--search-root", str(C.REPO_ROOT),
                         "debug"])
    return ("#!/bin/sh\n"
            "# gdb at this test's first fault: the same boot as reproduce.txt, halted and\n"
            "# attached (invoke debug --from this folder; more invoke debug options may follow).\n"
            f'exec {invoke} --from "$(cd "$(dirname "$0")" && pwd)" "$@"\n')


def copy_names(config) -> List[str]:
    """File names of the module copies under files/: the guest's names when they are
    distinct (then a copy boots under its own name), else numbered."""
    names = [m.name for m in config.modules()]
    if len(set(names)) == len(names) and "kernel.elf" not in names:
        return names
    return [f"{i:02d}-{n}" for i, n in enumerate(names)]


def command_script(machine: Union[Machine, QemuConfig],
                   log_name: str = "command-qemu.log") -> str:
    """command.sh: QEMU's argv for the machine with ``-d int,cpu_reset``, the kernel and the
    modules read from ``files/`` beside the script, wherever the folder is (its stdin, if
    the programs read one, from there too)."""
    m = machine if isinstance(machine, Machine) else Machine(machine)
    config = m.config
    initrd = ",".join(f"$here/files/{c} {mod.name}"
                      for c, mod in zip(copy_names(config), config.modules()))
    argv = config.replace(int_log=True, gdb=False).command(log_file=Path("LOG"))
    out: List[str] = []
    skip = False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a == "-kernel":
            out += ["-kernel", '"$here/files/kernel.elf"']
            skip = True
        elif a == "-initrd":
            out += ["-initrd", f'"{initrd}"']
            skip = True
        elif a == "-D":
            out += ["-D", f'"$here/{log_name}"']
            skip = True
        else:
            out.append(shlex.quote(a))
    stdin = f' < "$here/files/{STDIN_COPY}"' if m.stdin is not None else ""
    return "\n".join([
        "#!/bin/sh",
        "# The exact QEMU command of this machine (machine.json), runnable from any directory:",
        "# the kernel and the modules are the copies in files/ next to this script. QEMU exits",
        "# with (V << 1) | 1 when the kernel halts with status V (docs/harness.md: Machine",
        f"# status); its -d int,cpu_reset log goes to {log_name} here.",
        'here=$(cd "$(dirname "$0")" && pwd)',
        "exec " + " ".join(out) + stdin,
        ""])


def describe(session: Session, dest: Path) -> Machine:
    """The machine ``session`` booted, with copies of its kernel, modules and stdin in
    dest/files (``files/kernel.elf``, ``copy_names``, ``files/stdin``): what machine.json
    says (originals and copies, each file's SHA-256). The stdin is the test's ``stdin=``, or
    what it typed on the console (a ``shell()`` test's commands), so that booting the folder
    again runs them too.

    Raises:
        OSError: a file could not be copied (a DebugMachine's private copies are removed
            when it stops).
    """
    run = session.result
    config = run.config if run else session.config
    timeout_s = run.timeout_s if run else None
    files = dest / "files"
    files.mkdir(parents=True, exist_ok=True)
    copies = {os.path.abspath(config.kernel): files / "kernel.elf"}
    shutil.copy2(config.kernel, files / "kernel.elf")
    for name, mod in zip(copy_names(config), config.modules()):
        shutil.copy2(mod.path, files / name)
        copies[os.path.abspath(mod.path)] = files / name
    stdin = None
    typed = session.console.typed if session.console is not None else ""
    data = session.stdin if session.stdin is not None else (typed.encode() if typed else None)
    if data is not None:        # the test's stdin=, or what a shell test typed: then EOF
        stdin = files / STDIN_COPY
        stdin.write_bytes(data)
    return Machine(config, stdin=stdin, timeout_s=timeout_s, copies=copies)


def reproducible(machine: Machine) -> Machine:
    """The machine reproduce.txt boots: the copies in files/ (pytest deletes tmp_path, a
    compiled program's home, after three sessions), except for the default init (whose
    programs come from images/user: the line stays short) or copies under other names.
    The kernel stays the one booted (``invoke boot --from`` the folder boots its copy when
    it has changed since)."""
    config = machine.config
    default_init = Path(config.init).resolve() == C.DEFAULT_INIT.resolve()
    renamed = any(Path(machine.copies.get(os.path.abspath(m.path), m.path)).name != m.name
                  for m in config.modules())
    if default_init or renamed:
        return machine
    portable = machine.portable()
    return Machine(portable.config.replace(kernel=config.kernel), stdin=machine.stdin,
                   timeout_s=machine.timeout_s, copies=machine.copies)


def _events_jsonl(run: Run) -> str:
    return "".join(json.dumps({"kind": e.kind, "index": e.index, "line": e.line,
                               "fields": e.fields}) + "\n" for e in run.events)


def _int_log(session: Session) -> Tuple[str, str]:
    """QEMU's -d int,cpu_reset log of this machine, and what report.txt should say about it."""
    run = session.result
    if run is not None and run.config.int_log:
        return run.log, "qemu.log: the test's own boot, with -d int,cpu_reset"
    if session.interactive or run is None:
        return (run.log if run else session.machine.log_text()), (
            "qemu.log: the test's own boot (cpu_reset only, unless it asked for int); it was "
            "interactive or still running, so it was not booted again with -d int")
    # bounded like the test's own boot: a hung guest is stopped again, not waited for longer
    timeout_s = min(C.DEFAULT_BOOT_TIMEOUT_S, max(RERUN_MIN_TIMEOUT_S, 2 * run.duration_s + 5))
    again = lab.run(session.config.replace(int_log=True), timeout_s=timeout_s)
    same = "the same" if (again.outcome, again.status) == (run.outcome, run.status) else \
        f"NOT the same as the test's ({run.outcome.value}, status {run.status})"
    return again.log, (f"qemu.log: the test's boot logged cpu_reset only; the harness booted "
                       f"the same machine again with -d int,cpu_reset for this log: "
                       f"{again.outcome.value}, status {again.status} ({same})")


def sanitizer_sources(run: Run) -> List[str]:
    """The code a sanitizer report's return addresses name (``used``: the caller of the
    get/put that caught it, ``freed``: the caller of the code that freed the object), as
    ``  used: set_cwd+0xb2 at syspath.c:303``, from the booted kernel's symbols and DWARF line
    table; [] without a report, or when the kernel file is gone."""
    out: List[str] = []
    for report in run.of(Sanitizer):
        for key in ("used", "freed"):
            address = report.get(key)
            if not isinstance(address, int) or not address:
                continue
            try:
                name = symbolizer(run.config.kernel).describe(address, return_address=True)
                where = source_line(run.config.kernel, address, return_address=True)
            except BadImage:
                return out
            out.append(f"  {key}: {name} at {where or '?'}")
    return out


def write_machine(dest: Path, session: Session, step_into: str = "") -> str:
    """Write one machine's files into ``dest``; returns its section of report.txt.

    Args:
        step_into: the "step into it:" line (``invoke debug --from`` the test's folder).
    """
    dest.mkdir(parents=True, exist_ok=True)
    run = session.result
    config = run.config if run else session.config
    console = session.console
    (dest / "console.txt").write_text(run.raw_console if run else
                                      (console.raw if console else ""))
    (dest / "events.jsonl").write_text(_events_jsonl(run) if run else "")
    log_text, log_note = _int_log(session)
    (dest / "qemu.log").write_text(log_text)
    try:
        machine = describe(session, dest)
        machine.save(dest)
    except OSError as err:      # e.g. a DebugMachine's private copies, removed when it stopped
        machine = Machine(config, timeout_s=run.timeout_s if run else None)
        log_note += (f"\nfiles/: not all images could be copied ({err}); command.sh and "
                     "machine.json need them")
    again = reproducible(machine)
    script = dest / "command.sh"
    script.write_text(command_script(machine))
    script.chmod(0o755)
    (dest / REPRODUCE_FILE).write_text(invoke_line(again) + "\n")
    if run is not None:
        # Source lines: the plugin set machine.symbols's reader.
        body = dataclasses.replace(run, config=again.config).report(step_into=step_into)
        sources = sanitizer_sources(run)
        if sources:
            body += "\nsanitizer report, in the source:\n" + "\n".join(sources)
    else:
        body = ("outcome: the machine was still running when the test failed\n"
                "command: " + shlex.join(session.machine.command or []) + "\n"
                "console (last lines):\n" + "".join(f"  | {l}\n" for l in
                                                    (console.history() if console else [])))
    return f"{body}\n{log_note}"


def write(folder: Path, sessions: Sequence[Session], failure: str) -> str:
    """Write the evidence of one test into ``folder`` (replaced if it exists).

    Args:
        folder: ``<artifacts>/<folder_name(test id)>``.
        sessions: every machine the test started, in order.
        failure: the test's failure text (pytest's report), "" when it passed.

    Returns:
        report.txt without the failure (which pytest shows anyway): the folder and each
        machine's report.
    """
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("")
    if sessions:
        script = folder / "debug.sh"
        script.write_text(debug_script())
        script.chmod(0o755)
    sections: List[str] = []
    step_into = shlex.join([sys.executable, "-m", "invoke", "--search-root", str(C.REPO_ROOT),
                            "debug", "--from", str(folder)])
    for i, s in enumerate(sessions, 1):
        dest = folder if len(sessions) == 1 else folder / f"machine-{i}"
        sections.append(f"== machine {i} of {len(sessions)} ({dest.name}) ==\n"
                        + write_machine(dest, s, step_into if i == 1 else ""))
    head = f"ringlab artifacts: {folder}"
    (folder / "report.txt").write_text("\n\n".join(
        [head, failure.rstrip() or "(the test passed)"] + sections) + "\n")
    return "\n\n".join([head] + (sections or ["(the test booted no machine)"])) + "\n"


def clear_one(folder: Path) -> None:
    """Remove one test's evidence folder if this module wrote it (a folder of anyone else's
    under the same name stays)."""
    if (folder / MARKER).exists():
        shutil.rmtree(folder, ignore_errors=True)


def summary(sessions: Sequence[Session]) -> Optional[str]:
    """One line per machine for the failure message."""
    lines = []
    for i, s in enumerate(sessions, 1):
        r = s.result
        lines.append(f"machine {i}: " + (f"{r.outcome.value}: {r.verdict.detail}" if r else
                                         "still running"))
    return "; ".join(lines) or None
