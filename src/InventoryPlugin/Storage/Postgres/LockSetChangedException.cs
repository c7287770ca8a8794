namespace InventoryPlugin.Storage.Postgres;

/// <summary>
/// The records a transaction locked are not all it must hold: a record the lock statement did not find
/// was committed by another transaction before the read that followed it, or the order's holds name
/// records the request does not. The transaction is rolled back and started afresh, locking all of
/// them in key order, <see cref="AlsoLock"/> (record ids) with the request's own.
/// </summary>
internal sealed class LockSetChangedException(string message, IReadOnlyList<string> alsoLock) : Exception(message)
{
    public IReadOnlyList<string> AlsoLock { get; } = alsoLock;
}
