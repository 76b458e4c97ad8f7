/*
 * Who has a regular file open for writing, deny-write for running images
 * (ETXTBSY) and leases (F_SETLEASE): kernel/lease.c, after Linux's
 * i_writecount and fs/locks.c. The counts live in struct inode, a lease in
 * the struct file that holds it (file.h).
 */
#pragma once
#include "types.h"

#define F_SETLEASE    1024       /* fcntl: F_RDLCK, F_WRLCK, F_UNLCK (linux/fcntl.h) */
#define F_GETLEASE    1025

struct file;
struct inode;

int lease_open(struct file *f);                            /* may sleep; f holds its inode */
void lease_close(struct file *f);
int lease_break_exec(struct inode *ip);                    /* execve: may sleep; caller holds ip */
int lease_truncate(struct inode *ip);                      /* truncate(2): may sleep; caller holds ip */
int inode_get_write(struct inode *ip);                     /* -ETXTBSY while ip runs */
void inode_put_write(struct inode *ip);
int inode_deny_write(struct inode *ip);                    /* execve: -ETXTBSY if open for writing */
void inode_allow_write(struct inode *ip);
int64_t lease_fcntl(struct file *f, int fd, int cmd, uint64_t arg);
extern int lease_break_time;                               /* seconds (/proc/sys/fs/lease-break-time) */
int64_t lease_sysctl_write(uint64_t src, uint64_t off, uint64_t n);
