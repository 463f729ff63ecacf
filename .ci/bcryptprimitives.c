/* Stand-in for bcryptprimitives.dll under wine 8, which lacks it. Go 1.24+
 * Windows binaries take their random bytes from ProcessPrng; this one asks
 * advapi32's RtlGenRandom (exported as SystemFunction036) for them. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}
