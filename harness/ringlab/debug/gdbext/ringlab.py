"""ringlab's gdb extension: ``ring``, ``step-ring``, ``ring-fault``, ``ring-programs`` and
``$cpl()``, names for every address (the running process's program and the kernel), and an
unwinder that ends ``bt`` at the entry stub (ringunwind.py).

Load it into any gdb attached to a ringlab machine::

    (gdb) source harness/ringlab/debug/gdbext/ringlab.py
    (gdb) ring
    ring: cpl=3 cs=0x33 ss=0x2b rsp=0x7fffffffee68 cr3=0x137000 rip=0x401030 half=user
    (gdb) step-ring
    step-ring: 3->0 steps=7 at=0x401046 insn="syscall" rip=0x401046->0xffffffff80106409 ...

``invoke gdb`` and ``invoke debug`` load it for you. It runs inside gdb's own Python (no
virtual environment): it imports only the standard library, the files next to it, and the
harness's pure decoder and address namer (harness/ringlab/observe/decode.py and symname.py, loaded by
path: no harness package).

Per-process symbols: ``ring-programs FILE...`` names the programs the machine holds; at every
stop the extension reads the running process's program name from the kernel (the kernel
ABI file's ``current_name`` expression, which execve updates) and, when it changed, swaps
the user symbol file, so ``bt``, ``break`` and the names printed are the running program's.
"""
import importlib.util
import json
import os
import re
import signal
import sys

import gdb  # provided by gdb itself

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ringfmt  # noqa: E402  (needs the path above)
import ringreverse  # noqa: E402,F401  (reverse-to, reverse-to-ring)
import ringunwind  # noqa: E402

DEFAULT_MAX_STEPS = 100000
#: the kernel ABI file: ``$ringlab_kabi`` (the harness sets it), else this checkout's
KABI_DEFAULT = os.path.join(HERE, "..", "..", "..", "images", "kabi.json")
DECODE_FILE = os.path.join(HERE, "..", "..", "observe", "decode.py")
#: how every address is named (gdb's <name+offset>), shared with the harness's symbolizer
SYMNAME_FILE = os.path.join(HERE, "..", "..", "observe", "symname.py")
PROGRESS_EVERY = 10_000         # step-ring prints a progress line every this many steps (default)
PATH_NAMES_MAX = 12             # step-ring's kernel path: longer ones keep both ends
#: words in a kernel function name that say which path ran (step-ring's summary)
PATH_KINDS = (("vector32", "timer"), ("timer", "timer"), ("sleep", "sleep"),
              ("sched", "schedule"), ("swtch", "schedule"), ("yield", "schedule"))


def _load(name, path):
    """A pure harness module (no harness imports), loaded by its path as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module           # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


decode = _load("ringlab_decode", DECODE_FILE)
symname = _load("ringlab_symname", SYMNAME_FILE)
_kabi_var = gdb.convenience_variable("ringlab_kabi")
with open(_kabi_var.string() if _kabi_var is not None else KABI_DEFAULT) as _fh:
    KABI = json.load(_fh)
#: CS value -> ``user32`` (compatibility mode), ``user64``, ``kernel``: from the kernel's ABI
MODES = ringfmt.selector_modes(KABI.get("constants", {}))


def _reg(name):
    """A register as an unsigned integer (``$rsp`` is a pointer type, hence the cast)."""
    return int(gdb.parse_and_eval("(unsigned long)$" + name)) & 0xFFFFFFFFFFFFFFFF


def _insn(addr):
    arch = gdb.selected_frame().architecture()
    return ringfmt.normalize_insn(arch.disassemble(addr)[0]["asm"])


def symbolize(addr):
    """``<symbol+offset>`` for ``addr`` from gdb's symbols (kernel and the loaded program),
    or "" when nothing names it."""
    try:
        text = gdb.execute(f"info symbol {addr:#x}", to_string=True)
    except gdb.error:
        return ""
    m = re.match(r"(\S+)(?: \+ (\d+))? in section", text)
    return symname.symbol_text(m.group(1), int(m.group(2) or 0)) if m else ""


def _kexpr(name):
    return gdb.parse_and_eval(KABI["gdb"][name])


def current_process():
    """(pid, program name) of the process the kernel runs, or (None, "") before the first."""
    try:
        return int(_kexpr("current_pid")), _kexpr("current_name").string()
    except gdb.error:
        return None, ""


ELFCLASS32 = 1                  # e_ident[EI_CLASS] of an ELF32 file (an i386 program)


def is_elf32(path):
    """True if ``path`` is an ELF32 file (a 32-bit program, run in compatibility mode)."""
    try:
        with open(path, "rb") as fh:
            ident = fh.read(5)
    except OSError:
        return False
    return ident[:4] == b"\x7fELF" and ident[4] == ELFCLASS32


def dwarf_unwinders_for(path):
    """gdb's architecture stays i386:x86-64 for the whole session (QEMU's stub sends the
    64-bit registers even in compatibility mode), so an i386 program's DWARF call-frame
    information would be read with x86-64 register numbers (DWARF register 4 is ESP in i386,
    RSI in x86-64) and unwind to garbage: every stepi in its code then fails with `Cannot
    access memory at address 0xfffffffffffffff9`. While an ELF32 program's symbols are the
    loaded ones, gdb's DWARF unwinders are off (its prologue analysis still names frames)."""
    gdb.execute(f"maint set dwarf unwinders {'off' if is_elf32(path) else 'on'}",
                to_string=True)


class Programs:
    """The machine's programs (base name -> path) and which one's symbols gdb has loaded."""

    def __init__(self):
        self.paths = {}
        self.loaded = None          # path of the user symbol file gdb holds
        self.cr3 = None             # the address space seen at the last sync

    def add(self, path, loaded=False):
        path = os.path.abspath(path)
        self.paths[os.path.basename(path)] = path
        if loaded:
            self.loaded = path
            dwarf_unwinders_for(path)

    def sync(self, force=False):
        """Load the running program's symbols if they are not the ones loaded."""
        cr3 = _reg("cr3")
        if cr3 == self.cr3 and not force:
            return
        self.cr3 = cr3
        pid, name = current_process()
        path = self.paths.get(name)
        if path is None or path == self.loaded:
            return
        confirm = gdb.parameter("confirm")
        gdb.execute("set confirm off", to_string=True)     # add-symbol-file would ask
        try:
            if self.loaded is not None:
                gdb.execute(f"remove-symbol-file {self.loaded}", to_string=True)
            gdb.execute(f"add-symbol-file {path}", to_string=True)
            dwarf_unwinders_for(path)
        finally:
            gdb.execute(f"set confirm {'on' if confirm else 'off'}", to_string=True)
        self.loaded = path
        gdb.write(f"ringlab: pid {pid} runs {name}: its symbols are loaded ({path})\n")


PROGRAMS = Programs()
_quiet = [False]                # True while step-ring single-steps: no per-step work


def _on_stop(event):
    if not _quiet[0]:
        try:
            PROGRAMS.sync()
        except gdb.error as err:
            gdb.write(f"ringlab: cannot switch symbols: {err}\n")


def _address(symbol):
    """The address of a kernel function, or None if the loaded symbols lack it."""
    try:
        return int(gdb.parse_and_eval("(unsigned long)&" + symbol))
    except gdb.error:
        return None


def ring_state():
    cs = _reg("cs")
    return ringfmt.RingState(cpl=ringfmt.cpl_of(cs), cs=cs, ss=_reg("ss"),
                             rsp=_reg("rsp"), cr3=_reg("cr3"), rip=_reg("rip"),
                             mode=ringfmt.mode_of(cs, MODES))


class RingCommand(gdb.Command):
    """Print the CPU's privilege state: CPL, CS, SS, RSP, CR3 and which half RIP is in.

Usage: ring
Also names RIP (<symbol+offset>) and the running process (pid, program). CPL is CS's RPL field (SDM Vol. 3A 5.5). half=user means RIP is in the lower canonical
half (below 0x0000800000000000), half=kernel the upper half. mode= says what CS is:
user32 (0x23, compatibility mode: a 32-bit program, named from its ELF32 symbols), user64
(0x33) or kernel."""

    def __init__(self):
        super().__init__("ring", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        try:
            self._show()
        except gdb.error as err:            # no target, no registers: a gdb error, no traceback
            raise gdb.GdbError(f"ring: {err}") from None

    def _show(self):
        pid, name = current_process()
        sym = symbolize(_reg("rip"))
        extra = (f" at={sym}" if sym else "") + (f" pid={pid} prog={name}" if pid else "")
        gdb.write(ring_state().line() + extra + "\n")


class StepRingCommand(gdb.Command):
    """Single-step (stepi) until the CPL changes; print the transition and its instruction.

Usage: step-ring [MAX-STEPS]   (default 100000)
Prints the direction (3->0 or 0->3), how many instructions it took, the instruction that
changed the ring, RIP and RSP before and after it, and CS and SS after it. A return to ring 3
that enters a signal handler says `event=delivery signal=N` (the kernel ran
signal_delivered on the way); one that ends rt_sigreturn says `event=rt_sigreturn`.
Both sides are named (from=<symbol+offset> to=<...>), then `step-ring path` lists the kernel
functions that ran (with timer/sleep/schedule when they did) and `step-ring process changed`
says so when another process (pid, CR3) came back to ring 3.
Every 10000 instructions it says how far it got (set ringlab-step-progress N); Ctrl-C stops
it. Breakpoints on the way do not stop it."""

    def __init__(self):
        super().__init__("step-ring", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        try:
            max_steps = int(arg.strip(), 0) if arg.strip() else DEFAULT_MAX_STEPS
        except ValueError:
            raise gdb.GdbError(f"step-ring: {arg.strip()!r} is not a number of steps "
                               f"(usage: step-ring [MAX-STEPS], default {DEFAULT_MAX_STEPS})")
        if max_steps <= 0:
            raise gdb.GdbError("step-ring: MAX-STEPS must be positive")
        try:
            start_cs = _reg("cs")
            before = (_reg("cr3"),) + current_process()
            run = StepRun(max_steps, PROGRESS.value)
        except gdb.error as err:            # no target, no registers: a gdb error
            raise gdb.GdbError(f"step-ring: {err}") from None
        # Each stop would print a frame line: say nothing until the ring changes.
        gdb.execute("set suppress-cli-notifications on", to_string=True)
        _quiet[0] = True
        try:
            run.go()
        finally:
            _quiet[0] = False
            gdb.execute("set suppress-cli-notifications off", to_string=True)
        if run.outcome == "interrupted":
            raise gdb.GdbError(f"step-ring: interrupted after {run.stepper.steps} "
                               f"instructions (CPL still {run.stepper.start})")
        if run.outcome == "error":
            raise gdb.GdbError(f"step-ring: {run.error} (after {run.stepper.steps} "
                               "instructions)")
        if run.outcome == "limit":
            raise gdb.GdbError(f"step-ring: CPL stayed {run.stepper.start} for {max_steps} "
                               "instructions")
        st = run.stepper
        after = (_reg("cr3"),) + current_process()
        PROGRAMS.sync(force=after != before)
        t = st.transition(_insn(st.before[0]), _reg("ss"), sym_before=symbolize(st.before[0]),
                          sym_after=symbolize(st.rip), modes=MODES, start_cs=start_cs)
        gdb.write(t.line() + "\n")
        path = run.path()
        if path:
            gdb.write(path_line(path) + "\n")
        if after[0] != before[0] or after[1] != before[1]:
            gdb.write(f"step-ring process changed: pid {before[1]} ({before[2]}) "
                      f"cr3={before[0]:#x} -> pid {after[1]} ({after[2]}) "
                      f"cr3={after[0]:#x}\n")


class StepRun:
    """One ``step-ring``: gdb single-steps, Python looks at each instruction.

    gdb's own loop does the stepping: a software watchpoint on ``$_ringlab_step()``, which
    gdb evaluates after every single step (it cannot be watched in hardware), so a step
    costs gdb's resume and register fetch plus one Python call, with no command, stop
    event, stop printing or breakpoint removal and re-insertion between two steps, which
    ``gdb.execute("stepi")`` costs each time. The function returns 0 until the CPL changes
    (``ringfmt.RingStepper``), the step limit is reached or Ctrl-C is pressed, then 1: the
    value changed, so gdb stops (silently: the watchpoint is internal and silent, its number
    never shown). gdb evaluates the expression once after each step, and also when the
    watchpoint is created: evaluations count as steps only once the target resumed (gdb's
    ``cont`` event, which fires once per ``continue``, not per single step). Nothing is
    named on the way: the kernel functions run are looked up by their DWARF block only when
    RIP leaves the last one, and assembly addresses are named when the ring changed
    (``path``).
    """

    def __init__(self, max_steps, progress):
        self.max_steps, self.progress = max_steps, progress
        marks = {a: name for name in ringfmt.STEP_MARKS
                 for a in (_address(name),) if a is not None}
        rip, cs, rsp = _step_regs()
        self.stepper = ringfmt.RingStepper(rip, cs, rsp, marks, lambda: _reg("rsi"))
        self.armed = False                  # the target resumed: evaluations are steps
        self.stop, self.exited = None, False    # how the last ``continue`` ended
        self.error = ""                     # outcome "error": what gdb said at a step
        self.value = 0                      # what $_ringlab_step() returns: 1 = stop here
        self.outcome = ""                   # "ring", "limit", "interrupted", "error"
        self._path = []                     # function names, and assembly addresses
        self._span = (0, 0)                 # [low, high) of the function last named

    def go(self):
        """Single-step until the outcome is known (``outcome``). ``continue`` runs without
        capturing its output (a capture would also swallow the progress lines): it prints
        nothing for the silent watchpoint (run from Python, it does not say "Continuing."),
        and the caller turned gdb's stop notifications off for the other stops.

        Raises:
            gdb.GdbError: the target went away, or stopped for a reason of its own.
        """
        STEP_FUNCTION.run = self
        # Ctrl-C: SIGINT stays pending (blocked) and each step looks for it. gdb's own
        # handler would pass it to QEMU as an interrupt, which a single step's stop reply
        # (SIGTRAP) swallows: gdb would step on.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        gdb.events.stop.connect(self._stopped)
        gdb.events.exited.connect(self._exited)
        watch = None
        try:
            watch = gdb.Breakpoint("$_ringlab_step()", gdb.BP_WATCHPOINT, gdb.WP_WRITE,
                                   internal=True)
            watch.silent = True
            while not self.outcome:
                self.armed, self.stop, self.exited = False, None, False
                try:
                    gdb.execute("continue")
                except KeyboardInterrupt:   # Ctrl-C while gdb itself waited
                    self.outcome = "interrupted"
                except gdb.error as err:
                    if "Quit" not in str(err):
                        raise gdb.GdbError(f"step-ring: {err} (after {self.stepper.steps} "
                                           "instructions)") from None
                    self.outcome = "interrupted"
                if self.outcome:
                    break
                if self.exited or gdb.selected_inferior().pid == 0:
                    raise gdb.GdbError(f"step-ring: the machine ended after "
                                       f"{self.stepper.steps} instructions")
                stop = self.stop
                if isinstance(stop, gdb.SignalEvent) and stop.stop_signal == "SIGINT":
                    self.outcome = "interrupted"        # Ctrl-C reached the target
                elif isinstance(stop, gdb.SignalEvent):
                    raise gdb.GdbError(f"step-ring: the target stopped on {stop.stop_signal} "
                                       f"after {self.stepper.steps} instructions")
                elif not isinstance(stop, gdb.BreakpointEvent):
                    raise gdb.GdbError(f"step-ring: the target stopped after "
                                       f"{self.stepper.steps} instructions")
                # else a breakpoint of the user's stopped gdb (silently): step on
        finally:
            if _take_sigint() and not self.outcome:
                self.outcome = "interrupted"
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            STEP_FUNCTION.run = None
            gdb.events.stop.disconnect(self._stopped)
            gdb.events.exited.disconnect(self._exited)
            if watch is not None and watch.is_valid():
                watch.delete()

    def _stopped(self, event):
        self.stop = event

    def _exited(self, event):
        self.exited = True

    def resumed(self):
        self.armed = True

    def check(self):
        """$_ringlab_step()'s value: 0 to step on, 1 to stop (``outcome`` says why)."""
        if not self.armed or self.outcome:
            return self.value
        try:
            rip, cs, rsp = _step_regs()
            st = self.stepper
            if st.step(rip, cs, rsp):
                self.outcome = "ring"
            elif signal.SIGINT in signal.sigpending() and _take_sigint():
                self.outcome = "interrupted"
            elif st.steps >= self.max_steps:
                self.outcome = "limit"
            else:
                if rip >= ringfmt.KERNEL_HALF_START and not self._span[0] <= rip < self._span[1]:
                    self._enter(rip)
                if self.progress and st.steps % self.progress == 0:
                    gdb.write(f"step-ring: {st.steps} instructions, CPL still {st.start} "
                              f"(at {symbolize(rip) or hex(rip)}; Ctrl-C stops)\n")
                    gdb.flush()
        except KeyboardInterrupt:           # Ctrl-C while Python ran: stop at this step
            self.outcome = "interrupted"
        except Exception as err:            # noqa: BLE001 (gdb.error, or a bug of ours)
            # never raised to gdb: it would say "Error evaluating expression for watchpoint
            # -N" (an internal number) and delete the watchpoint
            quit_ = isinstance(err, gdb.error) and "Quit" in str(err)
            self.outcome = "interrupted" if quit_ else "error"
            self.error = str(err) if isinstance(err, gdb.error) else repr(err)
        if self.outcome:
            self.value = 1
        return self.value

    def _enter(self, pc):
        """RIP left the last function named: note the one it is in now (its DWARF block), or
        the address, named later, in assembly (no block)."""
        block = ringunwind.function_block(pc)
        if block is not None:
            self._span = (block.start, block.end)
            name = block.function.name
        else:
            self._span = (pc, pc + 1)
            name = pc
        if not self._path or self._path[-1] != name:
            self._path.append(name)

    def path(self):
        """The kernel functions run, in order, each once per visit."""
        names, out = {}, []
        for item in self._path:
            if isinstance(item, int):
                if item not in names:
                    names[item] = re.sub(r"^<([^+>]*).*", r"\1", symbolize(item))
                item = names[item]
            if item and (not out or out[-1] != item):
                out.append(item)
        return out


def _take_sigint():
    """Take a pending (blocked) SIGINT, if there is one; True if there was."""
    if signal.SIGINT not in signal.sigpending():
        return False
    signal.sigtimedwait({signal.SIGINT}, 0)
    return True


def _step_regs():
    """RIP, CS, RSP from gdb's register cache: gdb fetched them all at the stop. An
    expression reads them without building a frame (``gdb.newest_frame()`` would compute
    its frame id, running every unwinder's sniffer at every step)."""
    return (int(gdb.parse_and_eval("$pc")) & 0xFFFFFFFFFFFFFFFF,
            int(gdb.parse_and_eval("$cs")) & 0xFFFF,
            int(gdb.parse_and_eval("$sp")) & 0xFFFFFFFFFFFFFFFF)


class StepFunction(gdb.Function):
    """$_ringlab_step() - internal to step-ring (its per-instruction check): 0 elsewhere."""

    def __init__(self):
        super().__init__("_ringlab_step")
        self.run = None                 # the StepRun in progress

    def invoke(self):
        return 0 if self.run is None else self.run.check()


def _on_resume(event):
    if STEP_FUNCTION.run is not None:
        STEP_FUNCTION.run.resumed()


def path_line(path):
    """``step-ring path (timer, schedule): a > b > ...``: what ran in ring 0."""
    kinds = []
    for word, kind in PATH_KINDS:
        if kind not in kinds and any(word in name for name in path):
            kinds.append(kind)
    shown = path if len(path) <= PATH_NAMES_MAX else (
        path[:PATH_NAMES_MAX // 2] + ["..."] + path[-PATH_NAMES_MAX // 2:])
    return (f"step-ring path" + (f" ({', '.join(kinds)})" if kinds else "")
            + ": " + " > ".join(shown))


class CplFunction(gdb.Function):
    """$cpl() - the current privilege level (CS & 3), e.g. `print $cpl()` or `if $cpl() == 3`."""

    def __init__(self):
        super().__init__("cpl")

    def invoke(self):
        return ringfmt.cpl_of(_reg("cs"))


class RingFaultCommand(gdb.Command):
    """Show the fault the CPU is delivering: vector, decoded error code, CPL, the faulting
instruction with its symbol and source line.

Usage: ring-fault   (stopped in an exception stub, e.g. after `break *vector13`)
Reads the frame the CPU pushed (SDM Vol. 3A 6.14.2: RIP, CS, RFLAGS, RSP, SS, under the
error code for the vectors that push one, 6.13) with the same stack model as the unwinder."""

    def __init__(self):
        super().__init__("ring-fault", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        if STUBS is None:
            raise gdb.GdbError("ring-fault: no kernel symbols loaded")
        pc = _reg("rip")
        found = STUBS.places_at(pc, gdb.selected_frame().architecture())
        if found is None:
            raise gdb.GdbError(f"ring-fault: not in an exception stub (rip={pc:#x} "
                               f"{symbolize(pc)}): break on *vectorN first")
        _, vector, places = found
        v = ringunwind.read_places(places, _reg("rsp"), lambda r: _reg(r), STUBS)
        vector = v.get("vector", vector)
        for line in fault_lines(vector, v):
            gdb.write(line + "\n")


def fault_lines(vector, v):
    """The lines ``ring-fault`` prints for exception ``vector`` with frame values ``v``."""
    info = decode.vector_info(vector)
    error = v.get("error")
    cpl = ringfmt.cpl_of(v["cs"])
    head = f"fault: {info.label} (vector {vector}, {info.name})"
    if info.error_code and error is not None:
        head += f" error={error:#x}: {decode.describe_error(vector, error)}"
    pid, name = current_process()
    lines = [head + f"; from CPL {cpl}" + (f", pid {pid} ({name})" if pid else ""),
             f"fault: rip={v['rip']:#x} {symbolize(v['rip'])} insn=\"{_insn(v['rip'])}\" "
             f"cs={v['cs']:#x} rsp={v.get('rsp', 0):#x} rflags={v.get('rflags', 0):#x}"]
    if vector == decode.VECTOR_PF:
        lines.append(f"fault: cr2={_reg('cr2'):#x} (the address that faulted)")
    sal = gdb.find_pc_line(v["rip"])
    if sal.symtab is not None and sal.line:
        source = _source_line(sal.symtab.fullname(), sal.line)
        lines.append(f"fault: {sal.symtab.filename}:{sal.line}: {source}")
    return lines


def _source_line(path, line):
    try:
        with open(path, errors="replace") as fh:
            for number, text in enumerate(fh, 1):
                if number == line:
                    return text.strip()
    except OSError:
        pass
    return "(source not found)"


class RingRunToFaultCommand(gdb.Command):
    """Continue until the CPU enters the stub of an exception (vectors 0-31), then ring-fault.

Usage: ring-run-to-fault
Interrupts (the timer, vector 32 and up) do not stop it. If the machine ends first, says so."""

    def __init__(self):
        super().__init__("ring-run-to-fault", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        if STUBS is None:
            raise gdb.GdbError("ring-run-to-fault: no kernel symbols loaded")
        bps = [gdb.Breakpoint(f"*{addr:#x}", internal=True)
               for addr, v in STUBS.vectors if v < decode.FIRST_USER_VECTOR]
        for bp in bps:
            # silent: gdb's own stop line would name the internal breakpoint by its negative
            # number (`Breakpoint -14, vector14 () ...`); the frame is printed below instead
            bp.silent = True
        try:
            gdb.execute("continue")
        except gdb.error as err:
            raise gdb.GdbError(f"ring-run-to-fault: the machine ended without an exception "
                               f"({err})")
        finally:
            for bp in bps:
                if bp.is_valid():
                    bp.delete()
        if gdb.selected_inferior().pid == 0:
            raise gdb.GdbError("ring-run-to-fault: the machine ended without an exception")
        gdb.execute("frame")
        gdb.execute("ring-fault")


class RingProgramsCommand(gdb.Command):
    """Name the user programs the machine holds, for per-process symbols.

Usage: ring-programs [--loaded] FILE...
At every stop the running process's program (its name, as execve set it) picks the symbol
file gdb uses for user addresses. --loaded: the first FILE's symbols are already loaded."""

    def __init__(self):
        # internal (invoke gdb/debug give it): not listed by `help` (class none)
        super().__init__("ring-programs", gdb.COMMAND_NONE)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        loaded = bool(words) and words[0] == "--loaded"
        for i, path in enumerate(words[1:] if loaded else words):
            PROGRAMS.add(path, loaded=loaded and i == 0)


class ProgressParameter(gdb.Parameter):
    """How often step-ring says how far it got (instructions; 0: never)."""

    set_doc = "Set how often step-ring prints its progress (instructions; 0: never)."
    show_doc = "Show how often step-ring prints its progress."

    def __init__(self):
        super().__init__("ringlab-step-progress", gdb.COMMAND_RUNNING, gdb.PARAM_ZUINTEGER)
        self.value = PROGRESS_EVERY

    def get_set_string(self):
        return ""

    def get_show_string(self, svalue):
        return f"step-ring prints its progress every {svalue} instructions (0: never)"


class RinglabPrefix(gdb.Command):
    """ringlab's commands for the user/kernel boundary (this text: `help ringlab`).

  ring               the CPU's privilege state: CPL, CS, SS, RSP, CR3, RIP named, process
  step-ring [N]      stepi until the CPL changes; the transition, both sides named, the kernel
                     path that ran (progress every 10000 steps: set ringlab-step-progress N;
                     Ctrl-C stops it)
  ring-fault         at an exception stub: the faulting instruction, its source line, the
                     decoded error code, the CPL it came from
  ring-run-to-fault  continue to the first exception (vectors 0-31), then ring-fault
  reverse-to LOC     (a replay: invoke gdb --replay) back to the previous time at LOC
  reverse-to-ring    (a replay) back until the CPL changes
  $cpl()             the current privilege level, for conditions: break f if $cpl() == 3
  bt                 through the entry stubs into the interrupted (user) frame
`help COMMAND` says more about each."""

    def __init__(self):
        super().__init__("ringlab", gdb.COMMAND_USER, prefix=True)

    def invoke(self, arg, from_tty):
        gdb.execute("help ringlab")


PROGRESS = ProgressParameter()
RinglabPrefix()
RingCommand()
StepRingCommand()
RingFaultCommand()
RingRunToFaultCommand()
RingProgramsCommand()
CplFunction()
STEP_FUNCTION = StepFunction()
STUBS = ringunwind.install(KABI, decode.has_error_code)
gdb.events.stop.connect(_on_stop)
gdb.events.cont.connect(_on_resume)
