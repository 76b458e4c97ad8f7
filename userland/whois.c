/*
 * Users and groups looked up as programs do (musl's getpwnam/getgrgid read /etc/passwd and
 * /etc/group): root and nobody as on a Debian system, and whether uid 1000 has a name
 * (tests/test_linux_parity.py compares with the host; the host's user 1000 has another name).
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>

int main(void)
{
    const char *names[] = { "root", "nobody" };
    for (int i = 0; i < 2; i++) {
        struct passwd *pw = getpwnam(names[i]);
        if (pw)
            printf("%s: uid %d gid %d\n", names[i], (int)pw->pw_uid, (int)pw->pw_gid);
        else
            printf("%s: not found\n", names[i]);
    }
    struct group *g = getgrgid(0);
    printf("group 0: %s\n", g ? g->gr_name : "not found");
    printf("uid 1000 has a name: %s\n", getpwuid(1000) ? "yes" : "no");
    printf("gid 1000 has a name: %s\n", getgrgid(1000) ? "yes" : "no");
    return 0;
}
