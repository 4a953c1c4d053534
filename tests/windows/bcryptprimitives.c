/* Wine 8 has no bcryptprimitives.dll (Wine 9 added it), whose ProcessPrng the
 * standard library of Rust 1.78 and later calls for randomness: any extension
 * module built with it (rpds-py, under jsonschema) fails to load there with
 * "DLL load failed ... Module not found". This stand-in gives ProcessPrng over
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. It is laid next to
 * python.exe for the Wine run only: Windows has the real DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
