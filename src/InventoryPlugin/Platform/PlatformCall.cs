using InventoryPlugin.Stock;

namespace InventoryPlugin.Platform;

/// <summary>
/// What the verification filter learned about a platform request, handed to the endpoint through
/// the request's features; also what the request's one log event reports.
/// </summary>
public sealed class PlatformCall(StockOperation operation)
{
    public StockOperation Operation { get; } = operation;

    /// <summary>The verified, validated request; set only when the endpoint is reached.</summary>
    public StockChange? Change { get; set; }

    public EnvelopeParseResult? Envelope { get; set; }

    public string Outcome { get; set; } = "unhandled";
}
