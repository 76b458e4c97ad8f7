/*
 * The sanitizer build's UndefinedBehaviorSanitizer runtime: the __ubsan_handle_* entry points
 * clang's -fsanitize=undefined calls (the Makefile says which checks). Each prints one line
 *
 *   ringlab: sanitizer check=CHECK at=FILE:LINE col=N [type=T] [lhs=.. rhs=.. / value=..]
 *
 * and panics: the kernel states the fact, the harness (verdict.judge) names the outcome. The
 * data layouts are clang's (compiler-rt lib/ubsan/ubsan_handlers.h, ubsan_value.h; Linux
 * lib/ubsan.h has the same): a source location first, then type descriptors; a value of 64
 * bits or fewer is passed in the pointer-sized argument itself. This file is compiled
 * without -fsanitize (the Makefile): a handler must not call itself. Empty in the normal build.
 */
#include "kernel.h"

#ifdef SANITIZE

struct source_location {
    const char *file;
    uint32_t line;
    uint32_t column;
};

#define UBSAN_TYPE_INTEGER 0x0000      /* type_descriptor.kind: info bit 0 signed, info >> 1 log2(bits) */
struct type_descriptor {
    uint16_t kind;
    uint16_t info;
    char name[];                   /* quoted, e.g. "'int'" */
};

struct overflow_data { struct source_location loc; struct type_descriptor *type; };
struct shift_data { struct source_location loc; struct type_descriptor *lhs_type, *rhs_type; };
struct bounds_data { struct source_location loc; struct type_descriptor *array_type, *index_type; };
struct mismatch_data {
    struct source_location loc;
    struct type_descriptor *type;
    uint8_t log_alignment;
    uint8_t check_kind;            /* TCK_*: load, store, member access... */
};
struct loc_data { struct source_location loc; };
struct value_data { struct source_location loc; struct type_descriptor *type; };
struct nonnull_arg_data { struct source_location loc, attr_loc; int arg_index; };
struct alignment_assumption_data { struct source_location loc, assumption_loc; struct type_descriptor *type; };

static bool reporting;             /* a report in progress: a nested one stops the machine at once */

static bool is_signed(const struct type_descriptor *t)
{
    return t->kind == UBSAN_TYPE_INTEGER && (t->info & 1);
}

/* The value as text: decimal, signed or not as its type says, sign-extended from its width. */
static void value_text(char *buf, size_t size, const struct type_descriptor *t, uint64_t v)
{
    unsigned bits = t->kind == UBSAN_TYPE_INTEGER ? 1u << (t->info >> 1) : 64;
    if (bits > 64) {
        snprintf(buf, size, "wide");
        return;
    }
    if (is_signed(t)) {
        int64_t s = bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
        snprintf(buf, size, "%ld", s);
    } else {
        snprintf(buf, size, "%lu", bits == 64 ? v : v & ((1ul << bits) - 1));
    }
}

/* Strip the descriptor's quotes ('int' -> int); spaces become '-' so the value is one token. */
static void type_text(char *buf, size_t size, const struct type_descriptor *t)
{
    size_t n = 0;
    for (const char *s = t->name; *s && n + 1 < size; s++)
        if (*s != '\'')
            buf[n++] = *s == ' ' ? '-' : *s;
    buf[n] = 0;
}

static noreturn void report(const char *check, const struct source_location *loc, const char *fmt, ...)
{
    if (reporting)
        machine_exit(PANIC_STATUS);
    reporting = true;
    char extra[200] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(extra, sizeof extra, fmt, ap);
        va_end(ap);
    }
    kevent("sanitizer check=%s at=%s:%u col=%u%s%s", check, loc->file, loc->line, loc->column, *extra ? " " : "",
           extra);
    backtrace((uint64_t)__builtin_frame_address(0));
    panic("sanitizer check=%s at=%s:%u", check, loc->file, loc->line);
}

static noreturn void overflow(struct overflow_data *d, const char *op, uint64_t lhs, uint64_t rhs)
{
    char t[40], l[24], r[24];
    type_text(t, sizeof t, d->type);
    value_text(l, sizeof l, d->type, lhs);
    value_text(r, sizeof r, d->type, rhs);
    report(is_signed(d->type) ? "signed-overflow" : "unsigned-overflow", &d->loc, "op=%s type=%s lhs=%s rhs=%s", op,
           t, l, r);
}

void __ubsan_handle_add_overflow(struct overflow_data *d, uint64_t lhs, uint64_t rhs)
{
    overflow(d, "+", lhs, rhs);
}

void __ubsan_handle_sub_overflow(struct overflow_data *d, uint64_t lhs, uint64_t rhs)
{
    overflow(d, "-", lhs, rhs);
}

void __ubsan_handle_mul_overflow(struct overflow_data *d, uint64_t lhs, uint64_t rhs)
{
    overflow(d, "*", lhs, rhs);
}

void __ubsan_handle_negate_overflow(struct overflow_data *d, uint64_t old)
{
    overflow(d, "neg", 0, old);
}

void __ubsan_handle_divrem_overflow(struct overflow_data *d, uint64_t lhs, uint64_t rhs)
{
    char t[40], l[24], r[24];
    type_text(t, sizeof t, d->type);
    value_text(l, sizeof l, d->type, lhs);
    value_text(r, sizeof r, d->type, rhs);
    report(rhs == 0 ? "division-by-zero" : "signed-overflow", &d->loc, "op=/ type=%s lhs=%s rhs=%s", t, l, r);
}

void __ubsan_handle_shift_out_of_bounds(struct shift_data *d, uint64_t lhs, uint64_t rhs)
{
    char t[40], l[24], r[24];
    type_text(t, sizeof t, d->lhs_type);
    value_text(l, sizeof l, d->lhs_type, lhs);
    value_text(r, sizeof r, d->rhs_type, rhs);
    report("shift-out-of-bounds", &d->loc, "type=%s lhs=%s rhs=%s", t, l, r);
}

void __ubsan_handle_out_of_bounds(struct bounds_data *d, uint64_t index)
{
    char t[40], i[24];
    type_text(t, sizeof t, d->array_type);
    value_text(i, sizeof i, d->index_type, index);
    report("out-of-bounds", &d->loc, "type=%s index=%s", t, i);
}

/* clang's TypeCheckKind order (compiler-rt ubsan_handlers.cpp TypeCheckKinds). */
static const char *const check_kinds[] = {
    "load", "store", "reference-binding", "member-access", "member-call", "constructor-call",
    "downcast", "downcast", "upcast", "cast-to-virtual-base", "nonnull-assign", "dynamic-operation",
};

void __ubsan_handle_type_mismatch_v1(struct mismatch_data *d, uint64_t ptr)
{
    char t[40];
    type_text(t, sizeof t, d->type);
    const char *kind = d->check_kind < ARRAY_SIZE(check_kinds) ? check_kinds[d->check_kind] : "access";
    uint64_t align = 1ul << d->log_alignment;
    if (!ptr)
        report("null-pointer", &d->loc, "access=%s type=%s", kind, t);
    else if (d->log_alignment && (ptr & (align - 1)))
        report("misaligned", &d->loc, "access=%s type=%s ptr=0x%lx align=%lu", kind, t, ptr, align);
    else
        report("object-size", &d->loc, "access=%s type=%s ptr=0x%lx", kind, t, ptr);
}

void __ubsan_handle_builtin_unreachable(struct loc_data *d)
{
    report("unreachable", &d->loc, NULL);
}

void __ubsan_handle_missing_return(struct loc_data *d)
{
    report("missing-return", &d->loc, NULL);
}

void __ubsan_handle_load_invalid_value(struct value_data *d, uint64_t v)
{
    char t[40];
    type_text(t, sizeof t, d->type);
    report("invalid-value", &d->loc, "type=%s value=0x%lx", t, v);
}

void __ubsan_handle_pointer_overflow(struct loc_data *d, uint64_t base, uint64_t result)
{
    report("pointer-overflow", &d->loc, "base=0x%lx result=0x%lx", base, result);
}

void __ubsan_handle_nonnull_arg(struct nonnull_arg_data *d)
{
    report("nonnull-arg", &d->loc, "arg=%d", d->arg_index);
}

void __ubsan_handle_nonnull_return_v1(struct loc_data *d, struct source_location *loc)
{
    (void)d;
    report("nonnull-return", loc, NULL);
}

void __ubsan_handle_invalid_builtin(struct loc_data *d)
{
    report("invalid-builtin", &d->loc, NULL);
}

void __ubsan_handle_vla_bound_not_positive(struct value_data *d, uint64_t bound)
{
    char t[40], b[24];
    type_text(t, sizeof t, d->type);
    value_text(b, sizeof b, d->type, bound);
    report("vla-bound", &d->loc, "type=%s value=%s", t, b);
}

void __ubsan_handle_alignment_assumption(struct alignment_assumption_data *d, uint64_t ptr, uint64_t align,
                                         uint64_t offset)
{
    report("alignment-assumption", &d->loc, "ptr=0x%lx align=%lu offset=%lu", ptr, align, offset);
}

void __ubsan_handle_float_cast_overflow(struct value_data *d, uint64_t from)
{
    (void)from;
    report("float-cast-overflow", &d->loc, NULL);
}

#endif
