/* System V message queues as Linux's ipc/msg.c: msgget with keys and IPC_PRIVATE, msgsnd and
 * msgrcv by type (0, >0, <0, MSG_EXCEPT), E2BIG and MSG_NOERROR, a full queue (EAGAIN), a
 * receiver woken by another process's send, IPC_STAT/IPC_SET/IPC_RMID and their errors. The
 * key is made from the pid so runs on the host never meet; everything is removed at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ENOMSG: return "ENOMSG";
    case E2BIG: return "E2BIG";
    case EAGAIN: return "EAGAIN";
    case EIDRM: return "EIDRM";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

struct msg { long type; char text[8192]; };
static struct msg m;

static long snd(int q, long type, const char *text, int flags)
{
    m.type = type;
    strcpy(m.text, text);
    return msgsnd(q, &m, strlen(text) + 1, flags);
}

static void rcv(int q, long type, size_t size, int flags)
{
    memset(&m, 0, sizeof m);
    long n = msgrcv(q, &m, size, type, flags | IPC_NOWAIT);
    if (n < 0)
        printf("msgrcv type %ld: %s\n", type, e(n));
    else
        printf("msgrcv type %ld: %ld bytes, type %ld, \"%.*s\"\n", type, n, m.type, (int)n, m.text);
}

int main(void)
{
    key_t key = 0x52000000 | (getpid() & 0xffffff);
    int q = msgget(IPC_PRIVATE, 0600);
    printf("msgget IPC_PRIVATE: %s\n", e(q));
    /* one call a statement: argument evaluation order is unspecified */
    printf("send 1 \"one\": %s\n", e(snd(q, 1, "one", 0)));
    printf("send 2 \"two\": %s\n", e(snd(q, 2, "two", 0)));
    printf("send 1 \"three\": %s\n", e(snd(q, 1, "three", 0)));
    printf("send 4 \"four\": %s\n", e(snd(q, 4, "four", 0)));
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    printf("IPC_STAT: qnum %lu, cbytes %lu, qbytes %lu, mode %o, lspid is me %d\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_perm.mode & 0777,
           ds.msg_lspid == getpid());
    rcv(q, 2, 100, 0);
    rcv(q, -3, 100, 0);
    rcv(q, 1, 100, MSG_EXCEPT);
    rcv(q, 1, 2, 0);
    rcv(q, 1, 2, MSG_NOERROR);
    rcv(q, 0, 100, 0);
    rcv(q, 0, 100, 0);
    printf("send type 0: %s\n", e(snd(q, 0, "x", 0)));
    printf("negative size: %s\n", e(msgsnd(q, &m, (size_t)-1, 0)));
    printf("8193 bytes: %s\n", e(msgsnd(q, &m, 8193, 0)));
    printf("send from a bad address: %s\n", e(msgsnd(q, (void *)8, 4, 0)));
    memset(m.text, 'a', sizeof m.text);
    m.type = 9;
    printf("8192 bytes: %s\n", e(msgsnd(q, &m, 8192, IPC_NOWAIT)));
    printf("8192 more: %s\n", e(msgsnd(q, &m, 8192, IPC_NOWAIT)));
    printf("one more byte: %s\n", e(msgsnd(q, &m, 1, IPC_NOWAIT)));
    rcv(q, 9, 8192, 0);
    rcv(q, 9, 8192, 0);
    ds.msg_qbytes = 100;
    printf("IPC_SET qbytes 100: %s\n", e(msgctl(q, IPC_SET, &ds)));
    printf("a 200-byte message now: %s\n", e(msgsnd(q, &m, 200, IPC_NOWAIT)));

    /* a receiver asleep in msgrcv, woken by another process's send */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct msg r;
        long n = msgrcv(q, &r, sizeof r.text, 7, 0);
        _exit(n == 6 && !strcmp(r.text, "hello") ? 0 : 1);
    }
    printf("send to the waiting child: %s\n", e(snd(q, 7, "hello", 0)));
    int st;
    waitpid(c, &st, 0);
    printf("child got it: %s\n", WEXITSTATUS(st) == 0 ? "yes" : "no");

    int k = msgget(key, IPC_CREAT | 0640);
    printf("msgget a key, IPC_CREAT: %s; again: same id %d\n", e(k), msgget(key, 0) == k);
    printf("IPC_CREAT|IPC_EXCL on it: %s\n", e(msgget(key, IPC_CREAT | IPC_EXCL | 0600)));
    printf("an unknown key without IPC_CREAT: %s\n", e(msgget(key + 1, 0)));
    printf("IPC_RMID: %s\n", e(msgctl(k, IPC_RMID, NULL)));
    printf("then IPC_STAT: %s\n", e(msgctl(k, IPC_STAT, &ds)));
    printf("then msgsnd: %s\n", e(snd(k, 1, "x", IPC_NOWAIT)));
    printf("bad id: %s\n", e(msgctl(-1, IPC_STAT, &ds)));
    printf("bad command: %s\n", e(msgctl(q, 99, &ds)));
    struct msginfo mi, m0;
    long r0 = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    printf("IPC_INFO: %s msgpool %d msgmap %d msgmax %d msgmnb %d msgmni %d msgssz %d msgtql %d msgseg %d\n",
           r0 >= 0 ? "ok" : e(r0), mi.msgpool, mi.msgmap, mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgtql,
           mi.msgseg);
    msgctl(0, MSG_INFO, (struct msqid_ds *)&m0);
    snd(q, 8, "12345", 0);
    int q2 = msgget(IPC_PRIVATE, 0600);
    msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    printf("MSG_INFO: queues +%d messages +%d bytes +%d\n", mi.msgpool - m0.msgpool, mi.msgmap - m0.msgmap,
           mi.msgtql - m0.msgtql);
    msgctl(q2, IPC_RMID, NULL);
    printf("MSG_STAT by index: same id %d\n", msgctl(q & 0x7fff, MSG_STAT, &ds) == q);
    printf("MSG_STAT_ANY by index: same id %d, qnum %lu\n", msgctl(q & 0x7fff, MSG_STAT_ANY, &ds) == q,
           (unsigned long)ds.msg_qnum);
    printf("MSG_STAT of an unused index: %s\n", e(msgctl(0x7ffe, MSG_STAT, &ds)));
    printf("IPC_INFO to NULL: %s\n", e(syscall(SYS_msgctl, 0, IPC_INFO, NULL)));
    printf("IPC_INFO id -1: %s\n", e(msgctl(-1, IPC_INFO, (struct msqid_ds *)&mi)));
    msgctl(q, IPC_STAT, &ds);
    ds.msg_perm.uid = (uid_t)-1;
    printf("IPC_SET uid -1: %s\n", e(msgctl(q, IPC_SET, &ds)));
    rcv(q, 8, 100, 0);
#ifndef __i386__
    printf("IPC_STAT|IPC_64 (raw): %s\n", e(syscall(SYS_msgctl, q, IPC_STAT | 0x100, &ds)));
#endif
    snd(q, 3, "low", 0);
    rcv(q, LONG_MIN, 100, 0);                   /* the lowest type of all */
#ifdef __i386__
    /* ipc(2) itself (sysvmsg-m32): MSGSND; MSGRCV with version 0 (struct ipc_kludge { msgp,
       msgtyp } at ptr) and 1 (msgtyp in the fifth argument); MSGCTL's old structure */
    m.type = 5;
    strcpy(m.text, "via ipc");
    printf("ipc MSGSND: %s\n", e(syscall(SYS_ipc, 11, q, 8, 0, &m, 0)));
    printf("ipc MSGSND, a negative size: %s\n", e(syscall(SYS_ipc, 11, q, -1, 0, &m, 0)));
    struct { int key; unsigned short uid, gid, cuid, cgid, mode, seq; unsigned first, last; int stime, rtime, ctime;
             unsigned lcbytes, lqbytes; unsigned short cbytes, qnum, qbytes, lspid, lrpid, pad; } old;
    memset(&old, 0xff, sizeof old);
    long r = syscall(SYS_ipc, 14, q, IPC_STAT, 0, &old, 0);
    printf("ipc MSGCTL IPC_STAT, old structure: %s qnum %d cbytes %d lcbytes %u qbytes %d lqbytes %u lspid-self %d "
           "mode %o first %u\n", e(r), old.qnum, old.cbytes, old.lcbytes, old.qbytes, old.lqbytes,
           old.lspid == (getpid() & 0xffff), old.mode, old.first);
    struct { void *msgp; long msgtyp; } kludge = { &m, 5 };
    memset(&m, 0, sizeof m);
    r = syscall(SYS_ipc, 12, q, 100, IPC_NOWAIT, &kludge, 0);
    printf("ipc MSGRCV version 0: %s %ld, type %ld \"%s\"\n", e(r), r, m.type, m.text);
    printf("ipc MSGRCV version 0, no kludge: %s\n", e(syscall(SYS_ipc, 12, q, 100, IPC_NOWAIT, NULL, 0)));
    printf("ipc MSGRCV version 0, kludge at page 0: %s\n", e(syscall(SYS_ipc, 12, q, 100, IPC_NOWAIT, (void *)8, 0)));
    printf("ipc MSGRCV a negative size: %s\n", e(syscall(SYS_ipc, 12 | 0x10000, q, -1, IPC_NOWAIT, &m, 5)));
    m.type = 6;
    syscall(SYS_ipc, 11, q, 8, 0, &m, 0);
    memset(&m, 0, sizeof m);
    r = syscall(SYS_ipc, 12 | 0x10000, q, 100, IPC_NOWAIT, &m, 6);
    printf("ipc MSGRCV version 1: %s %ld, type %ld\n", e(r), r, m.type);
    old.qbytes = 4000;
    old.mode = 0600;
    printf("ipc MSGCTL IPC_SET, old structure: %s\n", e(syscall(SYS_ipc, 14, q, IPC_SET, 0, &old, 0)));
    msgctl(q, IPC_STAT, &ds);
    printf("qbytes %lu mode %o\n", (unsigned long)ds.msg_qbytes, ds.msg_perm.mode & 0777);
    printf("ipc MSGCTL IPC_STAT|IPC_64 to page 0: %s\n", e(syscall(SYS_ipc, 14, q, IPC_STAT | 0x100, 0, (void *)8, 0)));
#endif
    printf("IPC_RMID: %s\n", e(msgctl(q, IPC_RMID, NULL)));
    return 0;
}
