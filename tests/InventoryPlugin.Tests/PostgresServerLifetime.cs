using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests;

/// <summary>
/// In the assembly's root namespace so that it wraps every test: the throwaway PostgreSQL cluster is
/// shared by the whole run, and its postmaster runs detached, so nothing else would stop it.
/// </summary>
[SetUpFixture]
public sealed class PostgresServerLifetime
{
    [OneTimeTearDown]
    public void StopPostgres() => PostgresServer.Stop();
}
