"""Parse the kernel's ``ringlab: EVENT key=value ...`` console lines into typed records.

The console contract (docs/harness.md): every line the kernel prints starts ``ringlab: ``;
anything else is user program output. Values: ``0x...`` hex and decimal (possibly negative)
become ints, ``"..."`` is a quoted string (backslash escapes ``\\"`` and ``\\\\``), anything
else stays a string. Known events become their typed subclass of ``Event`` (named attributes
read from the fields); unknown ones are kept as ``Event`` with their fields, so new kernel
events never break the parser.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, Iterable, List, Optional, Tuple, Type, Union

from ..core.constants import KERNEL_LINE_PREFIX
from ..core.errors import EventParseError

Value = Union[int, str]

_KIND = r"[a-z][a-z0-9_-]*"
_LINE_RE = re.compile(r"^" + re.escape(KERNEL_LINE_PREFIX) + r"(?P<kind>" + _KIND + r")(?P<rest>(?:\s.*)?)$")
_TOKEN_RE = re.compile(r'\s*(?:(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)=(?:"(?P<q>(?:[^"\\]|\\.)*)"|(?P<v>\S*))|(?P<word>\S+))')
_INT_RE = re.compile(r"^-?(?:0[xX][0-9a-fA-F]+|[0-9]+)$")


def parse_value(text: str) -> Value:
    """``"0x1f"`` -> 31, ``"-14"`` -> -14, ``"#GP"`` -> ``"#GP"``."""
    if _INT_RE.match(text):
        neg = text.startswith("-")
        body = text[1:] if neg else text
        n = int(body, 16) if body[:2].lower() == "0x" else int(body, 10)
        return -n if neg else n
    return text


def _unquote(q: str) -> str:
    return re.sub(r"\\(.)", r"\1", q)


def parse_fields(rest: str) -> Tuple[Dict[str, Value], List[str]]:
    """Split ``key=value`` tokens; tokens without ``=`` are returned as words."""
    fields: Dict[str, Value] = {}
    words: List[str] = []
    pos = 0
    while pos < len(rest):
        m = _TOKEN_RE.match(rest, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group("key"):
            if m.group("q") is not None:
                fields[m.group("key")] = _unquote(m.group("q"))
            else:
                fields[m.group("key")] = parse_value(m.group("v"))
        elif m.group("word"):
            words.append(m.group("word"))
    return fields, words


@dataclass
class Event:
    """Any kernel event. Typed subclasses add named attributes for the known kinds.

    Attributes:
        kind: the word after ``ringlab: `` (``fault``, ``halt``...).
        fields: every ``key=value`` parsed (ints for numbers).
        words: tokens without ``=`` (free text, e.g. in panic lines).
        line: the console line as printed (without the line end).
        index: position of the line among all console lines of the run (0-based), or -1.
    """

    kind: str
    fields: Dict[str, Value] = field(default_factory=dict)
    words: List[str] = field(default_factory=list)
    line: str = ""
    index: int = -1

    KIND: ClassVar[str] = ""
    REQUIRED: ClassVar[Tuple[str, ...]] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


_REGISTRY: Dict[str, Type[Event]] = {}


def _event(kind: str, *required: str):
    """Class decorator: the typed class of event ``kind``; ``required`` fields must be present.

    Its annotated attributes (``pid: int = 0``) become read-only properties over ``fields``
    (the default when the line lacks the key): one record, no copy to keep in step. A plain
    subclass, not a dataclass of its own: equality and repr are Event's (the typed values
    follow from ``fields``), and a dozen generated classes would cost a boot's start-up.
    """

    def wrap(cls):
        for name in cls.__dict__.get("__annotations__", {}):
            setattr(cls, name, _typed(name, cls.__dict__.get(name)))
        cls.KIND = kind
        cls.REQUIRED = tuple(required)
        _REGISTRY[kind] = cls
        return cls

    return wrap


def _typed(name: str, default: Any) -> property:
    return property(lambda self: self.fields.get(name, default),
                    doc=f"``{name}=`` of the line ({default!r} when absent)")


@_event("boot", "cmdline")
class Boot(Event):
    """``ringlab: boot cmdline="..." mem_kib=N`` (first kernel line)."""

    cmdline: str = ""
    mem_kib: Optional[int] = None


@_event("enter-user", "pid", "rip", "rsp", "cs", "ss")
class EnterUser(Event):
    """First entry of a process into ring 3."""

    pid: int = 0
    rip: int = 0
    rsp: int = 0
    cs: int = 0
    ss: int = 0

    @property
    def rpl(self) -> int:
        """Requested privilege level of the CS selector (3 for user code)."""
        return self.cs & 3


@_event("syscall", "pid", "nr")
class Syscall(Event):
    """One system call (``trace=syscall``); ``ret`` is signed (-14 is -EFAULT), None for a
    call that does not return (exit, exit_group). ``abi`` names the table: ``i386`` for a
    call through the i386 table (``int $0x80``, compatibility mode: kernel/syscall32.c,
    ``nr`` an i386 number), None for the x86-64 table; ``name`` is ``unknown`` for a number
    the table lacks."""

    pid: int = 0
    nr: int = 0
    name: Optional[str] = None
    ret: Optional[int] = None
    abi: Optional[str] = None


@_event("fault", "pid", "vector", "cpl", "rip")
class Fault(Event):
    """An exception the kernel reports (ring 3: before killing the process)."""

    pid: int = 0
    vector: int = 0
    name: Optional[str] = None
    error: Optional[int] = None
    cpl: int = 0
    rip: int = 0
    cs: Optional[int] = None
    rsp: Optional[int] = None
    ss: Optional[int] = None
    rflags: Optional[int] = None
    cr2: Optional[int] = None


@_event("kill", "pid", "signal")
class Kill(Event):
    """A process killed by a signal."""

    pid: int = 0
    signal: int = 0
    name: Optional[str] = None


@_event("signal", "pid", "signal", "handler")
class SignalDelivery(Event):
    """The kernel called a handler: ``signal pid=.. signal=.. name=.. handler=0x.. code=..
    addr=0x..`` - the signal frame is on the user stack and ring 3 resumes at ``handler``.
    ``code`` is the siginfo si_code (signed: SI_TKILL is -6), ``addr`` its si_addr (0 unless
    a fault). Printed only with the kernel argument ``trace=signal`` (``lab.with_trace``)."""

    pid: int = 0
    signal: int = 0
    name: Optional[str] = None
    handler: int = 0
    code: Optional[int] = None
    addr: Optional[int] = None


@_event("sigreturn", "pid", "rip", "rsp")
class Sigreturn(Event):
    """``rt_sigreturn`` (or an i386 ``sigreturn``) restored a signal frame: ring 3 resumes at
    ``rip`` with ``rsp``. Printed only with ``trace=signal``."""

    pid: int = 0
    rip: int = 0
    rsp: int = 0


@_event("stop", "pid", "signal")
class Stop(Event):
    """A process stopped by a signal (SIGSTOP, SIGTSTP...) until SIGCONT."""

    pid: int = 0
    signal: int = 0
    name: Optional[str] = None


@_event("exit", "pid", "status")
class Exit(Event):
    """A process exited with ``status``."""

    pid: int = 0
    status: int = 0


@_event("mem", "free_pages")
class Mem(Event):
    """Free physical pages (at boot; after a process was reaped with ``trace=mem``)."""

    free_pages: int = 0


@_event("bad-arg", "key", "reason")
class BadArg(Event):
    """A kernel argument refused at boot (a panic follows): ``key=K value=V reason=R``."""

    key: str = ""
    value: Any = ""
    reason: str = ""


@_event("no-memory", "need_kib", "mem_kib")
class NoMemory(Event):
    """The boot modules leave the kernel too little memory (a halt follows, init never runs):
    ``no-memory need_kib=N mem_kib=M modules_kib=K``: the machine needs N KiB of RAM, has M
    (usable: the kernel maps at most 1 GiB), the modules take K."""

    need_kib: int = 0
    mem_kib: int = 0
    modules_kib: Optional[int] = None


@_event("module-skipped", "name", "reason")
class ModuleSkipped(Event):
    """A boot module the kernel left out of "/": ``module-skipped name=N size=S reason=R``,
    R ``duplicate-name`` ("/" has that name already: an earlier module's - init is placed
    first, and runs even when left out - or tmp, dev) or ``name-too-long``."""

    name: str = ""
    size: Optional[int] = None
    reason: str = ""


@_event("panic")
class Panic(Event):
    """Kernel panic (more ``panic-...`` lines may follow)."""

    reason: Optional[str] = None
    vector: Optional[int] = None
    error: Optional[int] = None
    rip: Optional[int] = None
    cr2: Optional[int] = None


@_event("sanitizer", "check", "at")
class Sanitizer(Event):
    """A bug the sanitizer kernel found (a panic follows). ``check``: clang's UBSan check
    (``signed-overflow``, ``shift-out-of-bounds``, ``out-of-bounds``, ``null-pointer``...,
    kernel/ubsan.c) at ``at`` = ``FILE:LINE`` of the faulting expression, with its values
    (``lhs``/``rhs``/``type``...); or an object check (kernel/include/sanitize.h):
    ``use-after-free``, ``refcount-underflow``, ``refcount-overflow`` of ``object`` (proc, mm,
    files, fsinfo, inode, file, pipe) table entry ``slot`` at the check ``at``, ``used`` = return
    address of the get/put/lookup (its caller), ``freed`` = the freeing code's (0: never
    freed); ``double-free`` (at ``kfree``) and ``write-after-free`` (at ``kalloc``, with the
    ``offset`` and ``value`` found) of a physical ``page`` ``pa``; or ``kernel-stack-canary``,
    ``low-mapping`` (``at=user-return``: checked at every
    return to ring 3)."""
    check: str = ""
    at: str = ""
    object: Optional[str] = None
    slot: Optional[int] = None
    used: Optional[int] = None
    freed: Optional[int] = None

    @property
    def at_file(self) -> str:
        """The source file of ``at`` (``testhook.c``)."""
        return str(self.at).rpartition(":")[0]

    @property
    def at_line(self) -> Optional[int]:
        """The line of ``at``, None if it has none."""
        tail = str(self.at).rpartition(":")[2]
        return int(tail) if tail.isdigit() else None


@_event("halt", "status")
class Halt(Event):
    """The kernel is about to stop QEMU with machine status ``status``."""

    status: int = 0


# Fields that must be ints when present (a string there means the kernel broke the contract).
_INT_FIELDS = {"pid", "rip", "rsp", "cs", "ss", "nr", "ret", "vector", "error", "cpl",
               "rflags", "cr2", "signal", "status", "free_pages", "mem_kib", "need_kib",
               "modules_kib", "slot", "used", "freed"}


def parse_line(line: str, index: int = -1) -> Optional[Event]:
    """Parse one console line; None if it is not a kernel line.

    Raises:
        EventParseError: a known event lacks a required field or has a non-numeric number.
    """
    line = line.rstrip("\r\n")
    m = _LINE_RE.match(line)
    if not m:
        return None
    kind = m.group("kind")
    fields, words = parse_fields(m.group("rest"))
    cls = _REGISTRY.get(kind, Event)
    if cls is not Event:
        missing = [k for k in cls.REQUIRED if k not in fields]
        if missing:
            raise EventParseError(f"{kind} event without {', '.join(missing)}: {line!r}")
        for k, v in fields.items():
            if k in _INT_FIELDS and not isinstance(v, int):
                raise EventParseError(f"{kind} event: {k}={v!r} is not a number: {line!r}")
    return cls(kind=kind, fields=fields, words=words, line=line, index=index)


def split_line(line: str) -> Tuple[str, Optional[str]]:
    """Separate user output from a kernel line glued to its end.

    A program that prints without a final newline leaves the kernel's next line on the same
    console line (``hi!ringlab: exit pid=1 status=0``). Returns (user_part, kernel_part).
    """
    if line.startswith(KERNEL_LINE_PREFIX):
        return "", line
    pos = line.find(KERNEL_LINE_PREFIX)
    while pos > 0:
        rest = line[pos:]
        m = _LINE_RE.match(rest)
        if m and m.group("kind") in _REGISTRY:
            return line[:pos], rest
        pos = line.find(KERNEL_LINE_PREFIX, pos + 1)
    return line, None


#: what ``of`` selects by: a kind string (``"fault"``) or an event class (``Fault``)
EventKind = Union[str, Type[Event]]


def of(events: Iterable[Event], *kinds: EventKind, **fields: Value) -> List[Event]:
    """The events of ``events`` of any of ``kinds`` whose fields equal ``fields``, in order:
    the one event filter (``Run.of``, ``Parsed.of``, ``CommandResult.of``, the verdict, the
    catalogue and the shell use it).

    ``of(events, Exit, Kill, pid=1)`` -> init's exit or kill events. A class selects its typed
    events (every required field present: a line that broke the contract is a generic Event
    of that kind and only a kind string selects it); a string selects every event of that
    kind, typed or not. A field is compared through the class's typed attribute when it has
    one (its default when the line lacks the key), else ``Event.get`` (None when missing).
    No kinds: every event (only ``fields`` filter).

    Raises:
        TypeError: a kind that is neither a string nor an Event class.
    """
    names = tuple(k for k in kinds if isinstance(k, str))
    classes = tuple(k for k in kinds if not isinstance(k, str))
    for c in classes:
        if not (isinstance(c, type) and issubclass(c, Event)):
            raise TypeError(f"event kind {c!r}: expected a kind string or an Event class")
    return [e for e in events
            if (not kinds or e.kind in names or isinstance(e, classes))
            and all(_field(e, k) == v for k, v in fields.items())]


def _field(e: Event, key: str) -> Any:
    """``e``'s field ``key``: the typed attribute where its class has one, else the raw field."""
    return getattr(e, key) if isinstance(getattr(type(e), key, None), property) else e.get(key)


@dataclass
class Parsed:
    """A console transcript split into kernel events and user output."""

    events: List[Event]
    user_lines: List[str]
    errors: List[str]

    def of(self, *kinds: EventKind, **fields: Value) -> List[Event]:
        """Its events of ``kinds`` with ``fields`` (``events.of``)."""
        return of(self.events, *kinds, **fields)


def parse_console(text: str) -> Parsed:
    """Split a whole console transcript (LF or CRLF line ends) into events and user lines.

    Lines that look like kernel lines but break the contract are kept as generic events and
    described in ``errors`` (the verdict reports them; the parser never raises here).
    """
    events: List[Event] = []
    user: List[str] = []
    errors: List[str] = []
    lines = text.replace("\r\n", "\n").replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, raw in enumerate(lines):
        raw = raw.rstrip("\r")
        user_part, kernel_part = split_line(raw)
        if kernel_part is None:
            user.append(raw)
            continue
        if user_part:
            user.append(user_part)
        try:
            ev = parse_line(kernel_part, i)
        except EventParseError as err:
            errors.append(str(err))
            m = _LINE_RE.match(kernel_part)
            fields, words = parse_fields(m.group("rest"))
            ev = Event(kind=m.group("kind"), fields=fields, words=words, line=kernel_part, index=i)
        if ev is None:  # "ringlab: " followed by something that is not an event word
            ev = Event(kind="", words=kernel_part[len(KERNEL_LINE_PREFIX):].split(),
                       line=kernel_part, index=i)
        events.append(ev)
    return Parsed(events, user, errors)
