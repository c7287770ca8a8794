using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace InventoryPlugin.Bench;

/// <summary>
/// What must not outlive the bench (service processes, the daemonized postmaster) when it is stopped early:
/// run on SIGTERM, SIGINT (Ctrl+C) and SIGHUP, which here do not raise ProcessExit by themselves, and on ProcessExit.
/// </summary>
public static class ExitCleanup
{
    private static readonly ConcurrentDictionary<object, Action> Actions = new();
    private static readonly List<PosixSignalRegistration> Signals = [];
    private static int _hooked;

    /// <summary>Runs <paramref name="action"/> if the bench ends before the returned handle is disposed.</summary>
    public static IDisposable Register(Action action)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();
            foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
            {
                // Not cancelled: after the cleanup the signal ends the bench as it would have.
                Signals.Add(PosixSignalRegistration.Create(signal, _ => RunAll()));
            }
        }

        var key = new object();
        Actions[key] = action;
        return new Handle(key);
    }

    private static void RunAll()
    {
        foreach (var key in Actions.Keys)
        {
            if (Actions.TryRemove(key, out var action))
            {
                action();
            }
        }
    }

    private sealed class Handle(object key) : IDisposable
    {
        public void Dispose() => Actions.TryRemove(key, out _);
    }
}
