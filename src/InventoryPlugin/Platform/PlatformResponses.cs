using System.Buffers;
using System.Text;
using System.Text.Json;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Platform;

/// <summary>
/// The one place that turns platform outcomes into the wire: status codes and
/// <c>{"applicationError":{...}}</c> bodies exactly as contract part 1.4 shows them.
/// </summary>
public static class PlatformResponses
{
    public const string AppliedBody = "{}";

    /// <summary>The answer stored with the request for its retries (applied and refused outcomes).</summary>
    public static StoredResponse Render(ChangeOutcome outcome) => outcome switch
    {
        ChangeOutcome.Applied => new(StatusCodes.Status200OK, AppliedBody),
        ChangeOutcome.Refused refused => new(StatusCodes.Status428PreconditionRequired, RefusalBody(refused.Items)),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Only applied and refused outcomes are stored."),
    };

    public static IResult ToResult(ChangeOutcome outcome) => outcome switch
    {
        ChangeOutcome.Replayed replayed => Json(replayed.StatusCode, replayed.Body),
        ChangeOutcome.RequestIdReused => Error(
            StatusCodes.Status409Conflict, "REQUEST_ID_REUSED", "this requestId was already used for a different request"),
        _ => Json(Render(outcome)),
    };

    public static IResult Unauthenticated(string why) => Error(StatusCodes.Status401Unauthorized, "UNAUTHENTICATED", why);

    /// <summary>The store cannot be reached: nothing was applied, and the same request may be retried.</summary>
    public static IResult Unavailable() =>
        Error(StatusCodes.Status503ServiceUnavailable, "UNAVAILABLE", "the stock store is unavailable; nothing was applied, retry the same request");

    public static IResult TooLarge(long limit) =>
        Error(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE", $"the body is larger than {limit} bytes");

    public static IResult Invalid(IReadOnlyList<FieldViolation> violations) =>
        Json(StatusCodes.Status400BadRequest, Write(w =>
        {
            WriteErrorStart(w, "INVALID_ARGUMENT", $"the request has {violations.Count} invalid field(s)");
            w.WriteStartObject("data");
            w.WriteStartArray("fieldViolations");
            foreach (var violation in violations)
            {
                w.WriteStartObject();
                w.WriteString("field", violation.Field);
                w.WriteString("description", violation.Description);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            WriteErrorEnd(w);
        }));

    public static string CauseName(RefusalCause cause) => cause switch
    {
        RefusalCause.InsufficientStock => "INSUFFICIENT_STOCK",
        RefusalCause.OutOfStock => "OUT_OF_STOCK",
        RefusalCause.UnknownItem => "UNKNOWN_ITEM",
        _ => throw new ArgumentOutOfRangeException(nameof(cause), cause, null),
    };

    private static string RefusalBody(IReadOnlyList<RefusedItem> items) => Write(w =>
    {
        WriteErrorStart(w, "DECREMENT_NOT_POSSIBLE", $"{items.Count} item(s) cannot be decremented by the requested quantity");
        w.WriteStartObject("data");
        w.WriteStartArray("items");
        foreach (var item in items)
        {
            w.WriteStartObject();
            w.WritePropertyName("catalogReference");
            w.WriteRawValue(item.CatalogReferenceJson, skipInputValidation: true);
            w.WriteString("locationId", item.LocationId);
            w.WriteNumber("requestedQuantity", item.RequestedQuantity);
            w.WriteNumber("availableQuantity", item.AvailableQuantity);
            w.WriteString("cause", CauseName(item.Cause));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        WriteErrorEnd(w);
    });

    private static IResult Error(int statusCode, string code, string description) =>
        Json(statusCode, Write(w =>
        {
            WriteErrorStart(w, code, description);
            WriteErrorEnd(w);
        }));

    private static void WriteErrorStart(Utf8JsonWriter writer, string code, string description)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("applicationError");
        writer.WriteString("code", code);
        writer.WriteString("description", description);
    }

    private static void WriteErrorEnd(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static IResult Json(StoredResponse response) => Json(response.StatusCode, response.Body);

    private static IResult Json(int statusCode, string body) => Results.Content(body, "application/json", Encoding.UTF8, statusCode);
}
