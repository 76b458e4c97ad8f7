/* spin: loop forever in ring 3; only preemption lets anything else run. */
int main(void)
{
    for (;;)
        __asm__ volatile("" ::: "memory");
}
