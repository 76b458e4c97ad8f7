/* preempt: fork a child that spins forever in ring 3, yield, and still finish (the timer preempts it). */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t pid = fork();
    if (pid == 0)
        for (;;)
            __asm__ volatile("" ::: "memory");
    printf("preempt: child %d spins in ring 3; parent yields\n", pid);
    /* Two yields: the first may hand the child a tick that was already pending when fork
       returned (it is then preempted still inside musl's fork); after the second the child
       has spun in this loop until a timer tick took the CPU away from ring 3. */
    sched_yield();
    sched_yield();
    printf("preempt: parent got the CPU back\n");
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    printf("preempt: child killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
