/* Process groups, sessions and the console as a controlling terminal (jobctl.c). */
#pragma once
#include "types.h"

struct proc;

#define ENOIOCTLCMD 515        /* kernel-internal: not a job-control request (Linux's number) */

void jobctl_fork(struct proc *child, struct proc *parent_leader);
void jobctl_exit(struct proc *leader);
bool jobctl_pgrp_orphaned(struct proc *p);
int jobctl_signal_pgrp(int pgid, int sig, int sender);
int jobctl_tty_check(int sig);
void jobctl_tty_signal(int sig);
bool jobctl_has_ctty(void);
int64_t jobctl_ioctl(uint32_t cmd, uint64_t arg, bool readable);
int jobctl_tty_pgrp(void);
