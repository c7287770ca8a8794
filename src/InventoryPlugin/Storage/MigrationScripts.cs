using System.Globalization;
using InventoryPlugin.Hosting;

namespace InventoryPlugin.Storage;

/// <summary>
/// A provider's versioned schema scripts (<c>Storage/&lt;Provider&gt;/Migrations/NNNN_name.sql</c>, embedded),
/// numbered alike for every provider so that one schema version means the same thing on each.
/// </summary>
public sealed class MigrationScripts
{
    private readonly string _prefix;

    public MigrationScripts(string provider)
    {
        _prefix = $"migrations/{provider}/";
        Known = typeof(MigrationScripts).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(_prefix, StringComparison.Ordinal))
            .Select(n => n[_prefix.Length..])
            .Select(n => (Version: int.Parse(n.AsSpan(0, n.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture), Name: n))
            .OrderBy(m => m.Version)
            .ToList();
    }

    public IReadOnlyList<(int Version, string Name)> Known { get; }

    public int LatestVersion => Known.Count == 0 ? 0 : Known[^1].Version;

    /// <summary>The scripts not yet applied, in order; a database newer than this binary stops the start.</summary>
    public IEnumerable<(int Version, string Name, string Sql)> Pending(IReadOnlyCollection<long> applied)
    {
        if (applied.Count > 0 && applied.Max() > LatestVersion)
        {
            throw new ConfigurationException(
                $"The database's schema is version {applied.Max()}, newer than this binary knows ({LatestVersion}): run a newer InventoryPlugin against it.");
        }

        return Known.Where(m => !applied.Contains(m.Version)).Select(m => (m.Version, m.Name, Read(m.Name)));
    }

    private string Read(string name)
    {
        using var stream = typeof(MigrationScripts).Assembly.GetManifestResourceStream(_prefix + name)
            ?? throw new InvalidOperationException($"Migration {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
