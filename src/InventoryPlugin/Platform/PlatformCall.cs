using InventoryPlugin.Stock;

namespace InventoryPlugin.Platform;

/// <summary>What became of a platform request, as its log event reports it.</summary>
public enum PlatformOutcome
{
    Unhandled,
    Applied,
    Refused,
    Replayed,
    RequestIdReused,
    Invalid,
    Unauthenticated,
    TooLarge,
    Unavailable,
}

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

    public PlatformOutcome Outcome { get; set; } = PlatformOutcome.Unhandled;

    /// <summary>The outcome as logged: <c>applied</c>, <c>request-id-reused</c>, ...</summary>
    public static string LogName(PlatformOutcome outcome) => outcome switch
    {
        PlatformOutcome.Unhandled => "unhandled",
        PlatformOutcome.Applied => "applied",
        PlatformOutcome.Refused => "refused",
        PlatformOutcome.Replayed => "replayed",
        PlatformOutcome.RequestIdReused => "request-id-reused",
        PlatformOutcome.Invalid => "invalid",
        PlatformOutcome.Unauthenticated => "unauthenticated",
        PlatformOutcome.TooLarge => "too-large",
        PlatformOutcome.Unavailable => "unavailable",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}
