namespace InventoryPlugin.Bench;

/// <summary>How long the bench waited for an idle machine before its runs (--quiet-wait), for the report.</summary>
public sealed class QuietLog
{
    /// <summary>Busy cores below which the machine counts as idle (the bench itself, between runs, uses next to none).</summary>
    public const double Threshold = 0.25;

    private readonly List<(double Seconds, bool Quiet)> _waits = [];

    public void Add(double seconds, bool quiet) => _waits.Add((seconds, quiet));

    /// <summary>One line for the report's notes, or null when the bench did not wait; forgets what it reported.</summary>
    public string? Note(double limitSeconds)
    {
        if (_waits.Count == 0)
        {
            return null;
        }

        var note = $"Quiet wait (--quiet-wait {limitSeconds:0}): before each of {_waits.Count} runs the bench waited for other processes to use under {Threshold} cores over 3 s; {_waits.Sum(w => w.Seconds) / 60:0.0} min in all, and {_waits.Count(w => !w.Quiet)} run(s) started on a busy machine after the limit. Noise can still start during a window (\"other\" below).";
        _waits.Clear();
        return note;
    }
}
