namespace InventoryPlugin.Storage.Postgres;

/// <summary>
/// A record the lock statement did not find was committed by another transaction before the read that
/// followed it, so it was read without its lock. The transaction is rolled back and started afresh,
/// and then locks that record in key order with the others.
/// </summary>
internal sealed class RecordCreatedWhileLockingException(string recordId)
    : Exception($"Record {recordId} was created by another transaction while this one was locking its records.");
