/*
 * The parts of System V IPC that shared memory (shm.c) and semaphores (sem.c) share: the
 * permission checks of Linux's ipc/util.c (ipcperms, ipcctl_obtain_check) and a new
 * object's ipc64_perm (ipc_addid). See include/ipc.h.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "ipc.h"
#include "proc.h"

int ipc_perms(const struct ipc64_perm *perm, int flag)
{
    const struct cred *c = &myproc()->cred;
    int req = (flag >> 6) | (flag >> 3) | flag, mode = (int)perm->mode;
    if (c->euid == perm->cuid || c->euid == perm->uid)
        mode >>= 6;
    else if (in_group_p(perm->cgid) || in_group_p(perm->gid))
        mode >>= 3;
    if ((req & ~mode & 07) && !capable(CAP_IPC_OWNER))
        return -EACCES;
    return 0;
}

int ipc_owner(const struct ipc64_perm *perm)
{
    const struct cred *c = &myproc()->cred;
    if (c->euid != perm->cuid && c->euid != perm->uid && !capable(CAP_SYS_ADMIN))
        return -EPERM;
    return 0;
}

struct ipc64_perm ipc_perm_new(int32_t key, int flg, uint16_t seq)
{
    const struct cred *c = &myproc()->cred;
    return (struct ipc64_perm){ .key = key, .uid = c->euid, .gid = c->egid, .cuid = c->euid,
                                .cgid = c->egid, .mode = (uint32_t)flg & 0777, .seq = seq };
}

int ipc_perm_set(struct ipc64_perm *perm, const struct ipc64_perm *in)
{
    if (in->uid == (uint32_t)-1 || in->gid == (uint32_t)-1)
        return -EINVAL;
    perm->uid = in->uid;
    perm->gid = in->gid;
    perm->mode = (perm->mode & ~0777u) | (in->mode & 0777);
    return 0;
}

int64_t ipc_now_s(void)
{
    return (int64_t)(time_realtime_ns() / 1000000000);
}
