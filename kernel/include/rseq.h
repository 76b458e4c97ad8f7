/*
 * Restartable sequences (rseq.c; Linux kernel/rseq.c, include/uapi/linux/rseq.h): one
 * registered struct rseq per thread. The user's area, 32-byte aligned:
 *
 *   offset  field          written by
 *        0  cpu_id_start   the kernel (0: one CPU), at every notify-resume
 *        4  cpu_id         the kernel (0; RSEQ_CPU_ID_UNINITIALIZED after unregistration)
 *        8  rseq_cs        the user (a struct rseq_cs *, u64 in both ABIs); the kernel clears it
 *       16  flags          the user (must be 0: the NO_RESTART flags are gone in Linux 6.x)
 *       20  node_id        the kernel (0: one node)
 *       24  mm_cid         the kernel (0: one CPU)
 *       28  end            Linux's AT_RSEQ_FEATURE_SIZE; the area is at least 32 bytes
 */
#pragma once
#include "types.h"

#define RSEQ_ORIG_SIZE        32           /* the original struct rseq, its padding included */
#define RSEQ_ALIGN            32           /* __alignof__(struct rseq) */
#define RSEQ_FEATURE_SIZE     28           /* offsetof(struct rseq, end): AT_RSEQ_FEATURE_SIZE */
#define RSEQ_FLAG_UNREGISTER  1            /* enum rseq_flags */
#define RSEQ_CPU_ID_UNINITIALIZED 0xffffffffu   /* (u32)-1: cpu_id when no area is registered */

/* Byte offsets in struct rseq (the picture above) */
#define RSEQ_OFF_CPU_ID_START 0
#define RSEQ_OFF_RSEQ_CS      8
#define RSEQ_OFF_FLAGS        16
#define RSEQ_OFF_NODE_ID      20

/* struct rseq_cs, the critical section's descriptor (32-byte aligned in the ABI; not checked
   by Linux either) */
struct rseq_cs {
    /*  0 */ uint32_t version;             /* 0; anything else is SIGSEGV */
    /*  4 */ uint32_t flags;               /* the deprecated RSEQ_CS_FLAG_NO_RESTART_*: SIGSEGV */
    /*  8 */ uint64_t start_ip;
    /* 16 */ uint64_t post_commit_offset;  /* the section is [start_ip, start_ip + this) */
    /* 24 */ uint64_t abort_ip;            /* preceded by the 32-bit signature */
};
_Static_assert(sizeof(struct rseq_cs) == 32, "struct rseq_cs is 32 bytes");

/*
 * A thread's registration (struct proc's `rseq`; Linux task_struct's rseq, rseq_len,
 * rseq_sig, rseq_event_mask and TIF_NOTIFY_RESUME). Owner: the thread itself; rseq(2)
 * sets and clears it, execve clears it, fork copies it, a CLONE_VM child starts without.
 */
struct rseq_reg {
    uint64_t area;             /* the user's struct rseq, 0: none registered */
    uint32_t len;              /* rseq_len as registered */
    uint32_t sig;              /* the signature expected before each abort_ip */
    bool notify;               /* write the ids (and fix up a section) before ring 3 */
    bool event;                /* preempted or signalled since: a section in progress aborts */
};

struct proc;
struct trapframe;
void rseq_fork(struct proc *child, const struct proc *parent, uint64_t flags);
void rseq_exec(struct proc *p);
bool rseq_notify_resume(struct proc *p, struct trapframe *tf, int sig);
