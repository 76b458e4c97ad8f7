/*
 * CPU features: SSE for user programs (musl's printf uses it), and the
 * protections SMEP, SMAP and UMIP whenever CPUID reports them (QEMU's
 * `-cpu max` does, the default qemu64 doesn't). CPUID leaf 7: SDM Vol. 2A
 * CPUID, Table 3-8. SSE enabling: SDM Vol. 3A 14.1.3 ("Initialization of
 * the SSE Extensions"). The kernel itself is built without SSE.
 */
#include "kernel.h"
#include "msr.h"
#include "x86.h"

#define CPUID7_EBX_SMEP (1 << 7)
#define CPUID7_EBX_SMAP (1 << 20)
#define CPUID7_ECX_UMIP (1 << 2)

void cpu_init(void)
{
    uint32_t a, b, c, d;
    lcr0((rcr0() & ~(uint64_t)CR0_EM) | CR0_MP | CR0_AM);   /* AM: RFLAGS.AC alignment checks at CPL 3 */
    uint64_t cr4 = rcr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;

    cpuid(0, 0, &a, &b, &c, &d);
    uint32_t max_leaf = a;
    b = c = 0;
    if (max_leaf >= 7)
        cpuid(7, 0, &a, &b, &c, &d);
    if (b & CPUID7_EBX_SMEP)
        cr4 |= CR4_SMEP;
    if (b & CPUID7_EBX_SMAP)
        cr4 |= CR4_SMAP;
    if (c & CPUID7_ECX_UMIP)
        cr4 |= CR4_UMIP;
    lcr4(cr4);
    kevent("cpu smep=%d smap=%d umip=%d nx=1 cr4=0x%lx", !!(cr4 & CR4_SMEP), !!(cr4 & CR4_SMAP),
           !!(cr4 & CR4_UMIP), cr4);
}
