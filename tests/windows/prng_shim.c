/*
 * Test tooling only, never shipped: Wine 8 has no bcryptprimitives.dll, and current Rust
 * std imports ProcessPrng from it, so every Rust program for x86_64-pc-windows-gnu stops
 * at start under Wine with STATUS_DLL_NOT_FOUND (c0000135). This DLL exports ProcessPrng
 * (documented in Microsoft's "ProcessPrng function" page of the bcryptprimitives API)
 * on top of advapi32's RtlGenRandom (exported as SystemFunction036), which Wine has.
 * `cargo xtask test` builds it with x86_64-w64-mingw32-gcc into the test Wine prefix's
 * system32; real Windows 10 and 11 have the real one.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
