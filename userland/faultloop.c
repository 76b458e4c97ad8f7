/* faultloop [N]: N times fork a child that dereferences NULL, and reap it (default 200). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200, killed = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("faultloop: fork");
            return 1;
        }
        if (pid == 0) {
            volatile int *p = NULL;
            _exit(*p);
        }
        int st;
        if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == 11)
            killed++;
    }
    printf("faultloop: %d of %d children killed by SIGSEGV\n", killed, n);
    return killed == n ? 0 : 1;
}
