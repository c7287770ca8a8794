using System.Runtime.InteropServices;
using System.Text;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>
/// SQLite's own unix VFS, except that a commit's WAL frames reach the file in one write call
/// instead of two per frame. Only the writer's connection uses it.
/// </summary>
/// <remarks>
/// <para>
/// SQLite writes every WAL frame as two calls, its 24-byte header and then its page: a batch of 64
/// one-item decrements is about 256 frames, so about 512 <c>pwrite</c> calls in each commit, while
/// every request of the batch waits. On this machine kind 256 frames written that way cost 0.9 ms
/// more than one write of the same bytes, of a 5–7 ms commit cycle (README, levers).
/// </para>
/// <para>
/// On the WAL file, writes that continue one another are gathered in a buffer (127 KiB, written
/// out when full) and written at once before anything that could observe the file: a sync, a read, its
/// size, a truncation, a file control, its close, or a write somewhere else. Nothing else changes.
/// Durability is untouched: SQLite counts nothing as written before the sync, and it syncs before it
/// answers. Other connections cannot read a frame still in the buffer either: they read only frames
/// of published commits, and at <c>synchronous=FULL</c> SQLite syncs the WAL before it publishes a
/// commit in the wal-index. That is why only a connection that stays at FULL may use this VFS.
/// </para>
/// <para>
/// Each WAL file's state lives in the memory SQLite gives the VFS for the file, ahead of the unix
/// VFS's own file; every other file is the unix VFS's alone, untouched. The callbacks never throw:
/// an exception cannot cross back into SQLite.
/// </para>
/// </remarks>
internal static unsafe class CoalescedWalVfs
{
    public const string Name = "inventory-coalesced-wal";

    /// <summary>
    /// The most the unix VFS writes in one call: it masks a write's length to 17 bits (<c>0x1ffff</c>),
    /// so a larger one comes back short and SQLite reports a full disk. 31 frames a call still makes
    /// a batch's 512 calls about 9.
    /// </summary>
    internal const int BufferBytes = 127 * 1024;

    private const int SqliteOk = 0;
    private const int SqliteIoErr = 10;
    private const int SqliteOpenWal = 0x00080000;

    // sqlite3_vfs up to and including each version's last member, on a 64-bit build.
    private static readonly int[] VfsBytesByVersion = [0, 136, 144, 168];

    private static readonly Lock Gate = new();
    private static bool _attempted;
    private static bool _registered;
    private static Vfs* _unix;
    private static IoMethods* _walMethods;

    /// <summary>
    /// Registers the VFS once per process. False where SQLite has no unix VFS (Windows) or the
    /// library cannot be reached: the writer then opens its connection with SQLite's default.
    /// </summary>
    public static bool EnsureRegistered()
    {
        lock (Gate)
        {
            if (!_attempted)
            {
                _attempted = true;
                _registered = Register();
            }

            return _registered;
        }
    }

    private static bool Register()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() || IntPtr.Size != 8)
        {
            return false;
        }

        try
        {
            var unixName = NativeString("unix");
            _unix = sqlite3_vfs_find(unixName);
            if (_unix is null || _unix->Version is < 1 or > 3)
            {
                return false;
            }

            var size = VfsBytesByVersion[_unix->Version];
            var vfs = (Vfs*)NativeMemory.AllocZeroed((nuint)VfsBytesByVersion[3]);
            Buffer.MemoryCopy(_unix, vfs, size, size);
            vfs->FileBytes = _unix->FileBytes + sizeof(WalFile);
            vfs->Next = null;
            vfs->Name = NativeString(Name);
            vfs->Open = &Open;

            _walMethods = (IoMethods*)NativeMemory.AllocZeroed((nuint)sizeof(IoMethods));
            *_walMethods = new IoMethods
            {
                Version = 3,
                Close = &Close,
                Read = &Read,
                Write = &Write,
                Truncate = &Truncate,
                Sync = &Sync,
                FileSize = &FileSize,
                Lock = &Lock,
                Unlock = &Unlock,
                CheckReservedLock = &CheckReservedLock,
                FileControl = &FileControl,
                SectorSize = &SectorSize,
                DeviceCharacteristics = &DeviceCharacteristics,
                ShmMap = &ShmMap,
                ShmLock = &ShmLock,
                ShmBarrier = &ShmBarrier,
                ShmUnmap = &ShmUnmap,
                Fetch = &Fetch,
                Unfetch = &Unfetch,
            };

            return sqlite3_vfs_register(vfs, makeDefault: 0) == SqliteOk;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static byte* NativeString(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text + '\0');
        var native = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(native, bytes.Length));
        return native;
    }

    private static File* Inner(File* file) => (File*)((byte*)file + sizeof(WalFile));

    private static IoMethods* InnerMethods(File* file) => ((WalFile*)file)->InnerMethods;

    [UnmanagedCallersOnly]
    private static int Open(Vfs* vfs, byte* name, File* file, int flags, int* outFlags)
    {
        if ((flags & SqliteOpenWal) == 0)
        {
            return _unix->Open(_unix, name, file, flags, outFlags);
        }

        var wal = (WalFile*)file;
        *wal = default;
        var inner = Inner(file);
        inner->Methods = null;
        var result = _unix->Open(_unix, name, inner, flags, outFlags);
        if (inner->Methods is null)
        {
            // Not opened: SQLite will not close it either.
            return result;
        }

        wal->InnerMethods = inner->Methods;
        try
        {
            wal->Buffer = (byte*)NativeMemory.Alloc(BufferBytes);
        }
        catch (OutOfMemoryException)
        {
            // No buffer: every write goes straight through, as without this VFS.
        }

        wal->Methods = _walMethods;
        return result;
    }

    /// <summary>Writes out what the buffer holds. After a failure the buffer is dropped: SQLite rolls the commit back.</summary>
    private static int Flush(File* file)
    {
        var wal = (WalFile*)file;
        if (wal->Length == 0)
        {
            return SqliteOk;
        }

        var length = wal->Length;
        wal->Length = 0;
        return wal->InnerMethods->Write(Inner(file), wal->Buffer, length, wal->Start);
    }

    [UnmanagedCallersOnly]
    private static int Write(File* file, void* data, int amount, long offset)
    {
        var wal = (WalFile*)file;
        if (wal->Length > 0 && (offset != wal->Start + wal->Length || wal->Length + amount > BufferBytes))
        {
            var flushed = Flush(file);
            if (flushed != SqliteOk)
            {
                return flushed;
            }
        }

        if (wal->Buffer is null || amount > BufferBytes)
        {
            return wal->InnerMethods->Write(Inner(file), data, amount, offset);
        }

        if (wal->Length == 0)
        {
            wal->Start = offset;
        }

        Buffer.MemoryCopy(data, wal->Buffer + wal->Length, BufferBytes - wal->Length, amount);
        wal->Length += amount;
        return SqliteOk;
    }

    [UnmanagedCallersOnly]
    private static int Close(File* file)
    {
        var wal = (WalFile*)file;
        var flushed = Flush(file);
        var closed = wal->InnerMethods->Close(Inner(file));
        NativeMemory.Free(wal->Buffer);
        wal->Buffer = null;
        return flushed != SqliteOk ? flushed : closed;
    }

    [UnmanagedCallersOnly]
    private static int Read(File* file, void* data, int amount, long offset)
    {
        var flushed = Flush(file);
        return flushed != SqliteOk ? flushed : InnerMethods(file)->Read(Inner(file), data, amount, offset);
    }

    [UnmanagedCallersOnly]
    private static int Truncate(File* file, long size)
    {
        var flushed = Flush(file);
        return flushed != SqliteOk ? flushed : InnerMethods(file)->Truncate(Inner(file), size);
    }

    [UnmanagedCallersOnly]
    private static int Sync(File* file, int flags)
    {
        var flushed = Flush(file);
        return flushed != SqliteOk ? flushed : InnerMethods(file)->Sync(Inner(file), flags);
    }

    [UnmanagedCallersOnly]
    private static int FileSize(File* file, long* size)
    {
        var flushed = Flush(file);
        return flushed != SqliteOk ? flushed : InnerMethods(file)->FileSize(Inner(file), size);
    }

    [UnmanagedCallersOnly]
    private static int FileControl(File* file, int operation, void* argument)
    {
        var flushed = Flush(file);
        return flushed != SqliteOk ? flushed : InnerMethods(file)->FileControl(Inner(file), operation, argument);
    }

    [UnmanagedCallersOnly]
    private static int Fetch(File* file, long offset, int amount, void** page)
    {
        var flushed = Flush(file);
        if (flushed != SqliteOk)
        {
            return flushed;
        }

        var inner = InnerMethods(file);
        if (inner->Version < 3)
        {
            *page = null;
            return SqliteOk;
        }

        return inner->Fetch(Inner(file), offset, amount, page);
    }

    [UnmanagedCallersOnly]
    private static int Unfetch(File* file, long offset, void* page)
    {
        var inner = InnerMethods(file);
        return inner->Version < 3 ? SqliteOk : inner->Unfetch(Inner(file), offset, page);
    }

    [UnmanagedCallersOnly]
    private static int Lock(File* file, int level) => InnerMethods(file)->Lock(Inner(file), level);

    [UnmanagedCallersOnly]
    private static int Unlock(File* file, int level) => InnerMethods(file)->Unlock(Inner(file), level);

    [UnmanagedCallersOnly]
    private static int CheckReservedLock(File* file, int* reserved) => InnerMethods(file)->CheckReservedLock(Inner(file), reserved);

    [UnmanagedCallersOnly]
    private static int SectorSize(File* file) => InnerMethods(file)->SectorSize(Inner(file));

    [UnmanagedCallersOnly]
    private static int DeviceCharacteristics(File* file) => InnerMethods(file)->DeviceCharacteristics(Inner(file));

    // SQLite maps shared memory through the database file, never the WAL; these only keep the table whole.
    [UnmanagedCallersOnly]
    private static int ShmMap(File* file, int region, int regionSize, int extend, void** memory)
    {
        var inner = InnerMethods(file);
        return inner->Version < 2 ? SqliteIoErr : inner->ShmMap(Inner(file), region, regionSize, extend, memory);
    }

    [UnmanagedCallersOnly]
    private static int ShmLock(File* file, int offset, int count, int flags)
    {
        var inner = InnerMethods(file);
        return inner->Version < 2 ? SqliteIoErr : inner->ShmLock(Inner(file), offset, count, flags);
    }

    [UnmanagedCallersOnly]
    private static void ShmBarrier(File* file)
    {
        var inner = InnerMethods(file);
        if (inner->Version >= 2)
        {
            inner->ShmBarrier(Inner(file));
        }
    }

    [UnmanagedCallersOnly]
    private static int ShmUnmap(File* file, int delete)
    {
        var inner = InnerMethods(file);
        return inner->Version < 2 ? SqliteOk : inner->ShmUnmap(Inner(file), delete);
    }

    [DllImport("e_sqlite3")]
    private static extern Vfs* sqlite3_vfs_find(byte* name);

    [DllImport("e_sqlite3")]
    private static extern int sqlite3_vfs_register(Vfs* vfs, int makeDefault);

    /// <summary>sqlite3_vfs, as far as this VFS reads or changes it; the rest is copied from the unix VFS.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Vfs
    {
        public int Version;
        public int FileBytes;
        public int MaxPathname;
        public Vfs* Next;
        public byte* Name;
        public void* AppData;
        public delegate* unmanaged<Vfs*, byte*, File*, int, int*, int> Open;
    }

    /// <summary>sqlite3_file: every VFS's file starts with its methods.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct File
    {
        public IoMethods* Methods;
    }

    /// <summary>A WAL file of this VFS; the unix VFS's own file follows it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct WalFile
    {
        public IoMethods* Methods;
        public IoMethods* InnerMethods;
        public byte* Buffer;
        public long Start;
        public int Length;
        private readonly int _padding;
        private readonly long _alignment;
    }

    /// <summary>sqlite3_io_methods, version 3.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoMethods
    {
        public int Version;
        public delegate* unmanaged<File*, int> Close;
        public delegate* unmanaged<File*, void*, int, long, int> Read;
        public delegate* unmanaged<File*, void*, int, long, int> Write;
        public delegate* unmanaged<File*, long, int> Truncate;
        public delegate* unmanaged<File*, int, int> Sync;
        public delegate* unmanaged<File*, long*, int> FileSize;
        public delegate* unmanaged<File*, int, int> Lock;
        public delegate* unmanaged<File*, int, int> Unlock;
        public delegate* unmanaged<File*, int*, int> CheckReservedLock;
        public delegate* unmanaged<File*, int, void*, int> FileControl;
        public delegate* unmanaged<File*, int> SectorSize;
        public delegate* unmanaged<File*, int> DeviceCharacteristics;
        public delegate* unmanaged<File*, int, int, int, void**, int> ShmMap;
        public delegate* unmanaged<File*, int, int, int, int> ShmLock;
        public delegate* unmanaged<File*, void> ShmBarrier;
        public delegate* unmanaged<File*, int, int> ShmUnmap;
        public delegate* unmanaged<File*, long, int, void**, int> Fetch;
        public delegate* unmanaged<File*, long, void*, int> Unfetch;
    }
}
