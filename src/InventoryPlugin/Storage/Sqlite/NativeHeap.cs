using System.Runtime.InteropServices;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>
/// Keeps glibc from handing the C heap's freed top back to the kernel after every request.
/// </summary>
/// <remarks>
/// SQLite allocates from the C heap: each request's in-memory savepoint journal (the before-image of
/// every page it changes, about 170 KB for a 50-item order) is freed when its savepoint is released.
/// With glibc's default trim threshold (128 KiB, raised only by chance as large blocks come and go),
/// that free shrinks the heap, and the next request grows it again page fault by page fault: in a
/// profile of 50-item orders, heap growth and its page faults took a quarter of the service's CPU
/// and halved the rate (README, levers). A 64 MiB threshold keeps what was freed for reuse; an
/// operator's own <c>MALLOC_TRIM_THRESHOLD_</c> is left alone.
/// </remarks>
internal static class NativeHeap
{
    /// <summary>Freed memory glibc keeps at the top of the heap before it trims.</summary>
    public const int TrimThresholdBytes = 64 * 1024 * 1024;

    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD in <malloc.h>

    /// <summary>True when the threshold was set: on Linux with glibc, unless the environment already sets it.</summary>
    public static bool KeepFreedMemory(Func<string, string?> environment)
    {
        if (!OperatingSystem.IsLinux() || environment("MALLOC_TRIM_THRESHOLD_") is not null)
        {
            return false;
        }

        try
        {
            return Mallopt(MallocTrimThreshold, TrimThresholdBytes) == 1;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: its allocator has its own policy.
            return false;
        }
    }

    // DllImport rather than LibraryImport: two ints need no marshalling, and the project stays free of unsafe code.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
