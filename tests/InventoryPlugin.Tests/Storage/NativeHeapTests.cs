using InventoryPlugin.Storage.Sqlite;

namespace InventoryPlugin.Tests.Storage;

/// <summary>The C heap's trim threshold is set through glibc itself, and an operator's own setting wins.</summary>
public sealed class NativeHeapTests
{
    [Test]
    public void On_linux_the_trim_threshold_is_set_through_glibc()
    {
        Assume.That(OperatingSystem.IsLinux(), "glibc's mallopt exists only on Linux");

        Assert.That(NativeHeap.KeepFreedMemory(_ => null), Is.True, "mallopt(M_TRIM_THRESHOLD) was found and accepted the value");
    }

    [Test]
    public void An_operators_malloc_trim_threshold_is_left_alone()
    {
        Assert.That(NativeHeap.KeepFreedMemory(name => name == "MALLOC_TRIM_THRESHOLD_" ? "131072" : null), Is.False);
    }
}
