/*
 * sigalrm_spin: a SIGALRM delivered to a process spinning in ring 3. setitimer arms
 * ITIMER_REAL for 30 ms; main spins without a system call; the timer interrupt taken in
 * ring 3 finds SIGALRM pending and the kernel returns into the handler instead of the loop;
 * the handler writes one line (a system call of its own) and returns through the restorer
 * (rt_sigreturn) into the loop, which sees the flag and exits. `invoke trace` shows it all.
 */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t rang;

static void on_alarm(int sig)
{
    (void)sig;
    write(1, "sigalrm_spin: SIGALRM in the handler\n", 37);
    rang = 1;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 0 }, { 0, 30000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    while (!rang)
        __asm__ volatile("" ::: "memory");
    write(1, "sigalrm_spin: back in the loop\n", 31);
    return 0;
}
